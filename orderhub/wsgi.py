"""WSGI entry point for gunicorn (`gunicorn orderhub.wsgi`) and runserver."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderhub.settings")

application = get_wsgi_application()
