"""Headless Chromium (Debian's) driven by Playwright's Python package against pytest-django's live_server.

Shared by every console page that staff use: the pack-scan station, the refunds console, the dashboard.
No browser download: Playwright launches /usr/bin/chromium (override with ORDERHUB_CHROMIUM).

    def test_page(live_server, browser_page_as):
        page = browser_page_as(WAREHOUSE)          # a fresh user in that role, already logged in
        page.goto(live_server.url + "/some/page/")
"""

import itertools
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; the ORM refuses to run there unless told.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("ORDERHUB_CHROMIUM", "/usr/bin/chromium")
_users = itertools.count(1)


def _chromium_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return (
            f"headless Chromium not found at {CHROMIUM} (apt-get install chromium, or set ORDERHUB_CHROMIUM)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _chromium_missing()
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser):
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def browser_login(live_server, browser_context, transactional_db):
    """Logs a user into the browser context by planting a real session cookie; returns the user.

    `browser_login(role)` creates a staff user in that role group (orderhub.roles), or pass `user=`.
    The console's language is English so tests can assert English text.
    """
    from django.apps import apps as django_apps
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.http import urlsplit

    from orderhub.roles import roles_sync
    from tests.factories import make_user

    host = urlsplit(live_server.url).hostname

    def login(role: str | None = None, *, user=None, superuser: bool = False, language: str = "en"):
        # A transactional test database is flushed after each test, role groups included: sync them again.
        roles_sync(django_apps)
        if user is None:
            user = make_user(f"browser-{next(_users)}", groups=[role] if role else [], superuser=superuser)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        browser_context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.session_key,
                    "domain": host,
                    "path": "/",
                },
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"},
            ]
        )
        return user

    return login


@pytest.fixture
def browser_page_as(browser_login, page):
    """`browser_page_as(role)` → a Playwright page whose browser is logged in as a new user in that role."""

    def open_as(role: str | None = None, **kwargs):
        page.user = browser_login(role, **kwargs)
        return page

    return open_as
