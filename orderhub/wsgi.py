"""WSGI entry point for gunicorn (`gunicorn orderhub.wsgi`) and runserver."""

import os

from django.core.wsgi import get_wsgi_application

from orderhub.lean_wsgi import with_lean_paths

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderhub.settings")

application = with_lean_paths(get_wsgi_application())
