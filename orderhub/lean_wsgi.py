"""Paths that machines call at a high rate (platform pushes) skip the console's middleware.

Sessions, language, CSRF, authentication, messages, clickjacking and login-lockout middleware serve
people in the console; a signed push needs none of them, yet they cost about a tenth of its CPU. The
lean handler is Django's own WSGI handler (signals, URL resolution, error answers, database connection
handling) with only `LEAN_MIDDLEWARE` in front of the views: by default the security middleware (an HTTPS
redirect still applies) and the common one (host checks, Content-Length). The views are the same for both
handlers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string


class LeanHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.LEAN_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def with_lean_paths(application):
    """`application` for every path but those under `LEAN_PATH_PREFIXES`, which go to a LeanHandler."""
    prefixes = tuple(settings.LEAN_PATH_PREFIXES)
    if not prefixes:
        return application
    lean = LeanHandler()

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(prefixes):
            return lean(environ, start_response)
        return application(environ, start_response)

    return dispatch
