"""Pushes through the WSGI application gunicorn serves: the lean handler answers /hooks/, everything else
keeps the console's whole middleware stack."""

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.db import DatabaseError

from channels_sync.models import InboundEvent
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.server import platform_module
from channels_sync.services import inbound
from orderhub.lean_wsgi import with_lean_paths
from orderhub.wsgi import application
from tests.channels_sync.conftest import recent, sandbox_shop

# The WSGI handler closes and reopens connections around each request, as under gunicorn: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)
HOOK_URL = "http://testserver/hooks/shopify/"


def client(app=application, base_url="http://testserver") -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)


def shopify_push(sandbox):
    sandbox_shop(sandbox, "shopify")
    shop = sandbox.state.shop("shopify", demo_shop("shopify").shop_id)
    order = generate_order(sandbox.state, demo_shop("shopify"), status="paid", now=recent())
    body = platform_module("shopify").push_body(order, shop)
    return body, platform_module("shopify").push_headers(body, shop, HOOK_URL)


def test_a_push_is_stored_and_answered_without_the_console_middleware(sandbox):
    body, headers = shopify_push(sandbox)

    with client() as http:
        answer = http.post("/hooks/shopify/", content=body, headers=headers)
        console = http.get("/admin/login/")

    assert answer.status_code == 200
    assert answer.headers["content-length"] == str(len(answer.content))
    assert InboundEvent.objects.filter(platform="shopify", status="pending").count() == 1
    # The clickjacking and session middleware run for the console, not for a push.
    assert "x-frame-options" not in answer.headers and "set-cookie" not in answer.headers
    assert console.status_code == 200 and console.headers["x-frame-options"] == "DENY"


def test_a_bad_signature_is_still_refused_on_the_lean_path(sandbox):
    body, headers = shopify_push(sandbox)

    with client() as http:
        answer = http.post("/hooks/shopify/", content=body + b" ", headers=headers)

    assert answer.status_code == 401
    assert not InboundEvent.objects.exists()


def test_the_https_redirect_still_applies_to_pushes(settings, sandbox):
    settings.SECURE_SSL_REDIRECT = True
    body, headers = shopify_push(sandbox)

    with client(with_lean_paths(get_wsgi_application())) as http:
        answer = http.post("/hooks/shopify/", content=body, headers=headers)

    assert answer.status_code == 301
    assert answer.headers["location"] == "https://testserver/hooks/shopify/"
    assert not InboundEvent.objects.exists()


def test_a_host_we_do_not_serve_is_refused_with_400(sandbox):
    body, headers = shopify_push(sandbox)

    with client(base_url="http://attacker.example") as http:
        answer = http.post("/hooks/shopify/", content=body, headers=headers)

    assert answer.status_code == 400
    assert not InboundEvent.objects.exists()


def test_a_failure_while_storing_answers_500_so_the_platform_sends_again(sandbox, monkeypatch):
    body, headers = shopify_push(sandbox)

    def database_down(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(inbound, "_insert_new", database_down)
    with client() as http:
        answer = http.post("/hooks/shopify/", content=body, headers=headers)

    assert answer.status_code == 500


def test_without_lean_prefixes_every_path_gets_the_whole_stack(settings):
    settings.LEAN_PATH_PREFIXES = []
    django_app = get_wsgi_application()

    assert with_lean_paths(django_app) is django_app


class StampMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamp"] = "lean"
        return response


def test_the_lean_handler_runs_the_middleware_it_is_given(settings, sandbox):
    settings.LEAN_MIDDLEWARE = [f"{__name__}.StampMiddleware"]
    body, headers = shopify_push(sandbox)

    with client(with_lean_paths(get_wsgi_application())) as http:
        answer = http.post("/hooks/shopify/", content=body, headers=headers)
        console = http.get("/admin/login/")

    assert answer.status_code == 200 and answer.headers["x-stamp"] == "lean"
    assert "x-stamp" not in console.headers
