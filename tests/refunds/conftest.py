"""Refund test helpers: the sandbox over HTTP, tasks run inline, sandbox orders ingested as real orders."""

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.server import RunningSandbox, platform_module
from channels_sync.services.inbound import inbound_drain
from fulfillment.models import Stock, Warehouse
from orderhub import dispatch
from orderhub.models import Order, Shop, Sku

HOOK = "http://testserver/hooks/{}/"


@pytest.fixture
def sandbox():
    with RunningSandbox(demo_state()) as running:
        yield running


@pytest.fixture(autouse=True)
def seeded(request):
    """The data migrations' rows (status mapping, role groups, schedules): a transactional test elsewhere
    in the run (browser tests) flushes them, so they are put back when missing (all idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from django.apps import apps as django_apps

    from orderhub.roles import roles_sync
    from refunds.models import RefundPolicySettings, RefundStatusMapping
    from refunds.seed import policy_settings_ensure, schedules_ensure, seed_mappings

    if not RefundStatusMapping.objects.exists():
        seed_mappings(django_apps)
    if not RefundPolicySettings.objects.exists():
        policy_settings_ensure(django_apps)
    roles_sync(django_apps)
    schedules_ensure(django_apps)


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.CHANNEL_RETRY_DELAY_SECONDS = 0
    settings.CHANNEL_RATE_LIMIT_SLEEP_FACTOR = 0.01
    settings.INBOUND_RETRY_DELAY_SECONDS = 0
    settings.REFUND_POLL_LAG_SECONDS = 0


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def _run(func, *args, task_name=None, **kwargs):
    module, name = func.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


@pytest.fixture
def inline_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Announced and queued tasks run in this thread as soon as their transaction commits."""
    import refunds.services.decide
    import refunds.tasks

    ran: list[str] = []

    def run(func, *args, **kwargs):
        ran.append(func)
        return _run(func, *args, **kwargs)

    monkeypatch.setattr(dispatch, "async_task", run)
    monkeypatch.setattr(refunds.services.decide, "async_task", run)
    monkeypatch.setattr(refunds.tasks, "async_task", run)
    # Subscribers other than the refunds app's are not under test here.
    monkeypatch.setitem(settings.DOMAIN_EVENT_SUBSCRIBERS, "order.paid", [])
    monkeypatch.setitem(settings.DOMAIN_EVENT_SUBSCRIBERS, "order.released", [])
    monkeypatch.setitem(settings.DOMAIN_EVENT_SUBSCRIBERS, "order.cancelled", [])
    return ran


def settle(capture, call):
    """Runs `call`, then every on-commit callback it (and they) queued."""
    with capture(execute=True):
        return call()


def recent(minutes_ago: int = 0) -> datetime:
    return datetime.now(tz=UTC) - timedelta(minutes=minutes_ago)


def sandbox_shop(sandbox: RunningSandbox, platform: str) -> Shop:
    demo = demo_shop(platform)
    return Shop.objects.create(
        platform=platform,
        code=f"sb-{platform}",
        name=f"sandbox {platform}",
        platform_shop_id=demo.shop_id,
        credentials={
            "app_key": demo.app_key,
            "app_secret": demo.app_secret,
            "access_token": demo.access_token,
        },
        api_base_url=sandbox.base_url(platform),
    )


def post_push(client, platform: str, body: bytes, shop) -> object:
    module = platform_module(platform)
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in module.push_headers(body, shop, HOOK.format(platform)).items()
    }
    headers.pop("HTTP_CONTENT_TYPE", None)
    return client.post(f"/hooks/{platform}/", data=body, content_type="application/json", **headers)


def ingest_order(client, sandbox, platform: str, *, status: str = "paid", stock: int = 0, now=None):
    """A sandbox order pushed to OrderHub and drained: (the sandbox's order, ours). With `stock`, its SKUs
    exist in one warehouse with that many units."""
    fake = generate_order(sandbox.state, demo_shop(platform), status=status, now=now or recent())
    if stock:
        place = {"name": "退货仓", "province": "江苏省", "city": "苏州市"}
        warehouse = Warehouse.objects.get_or_create(code="wh-refunds", defaults=place)[0]
        for line in fake.lines:
            sku, _ = Sku.objects.get_or_create(
                code=line.sku_code, defaults={"name": line.title, "price": Decimal("1")}
            )
            Stock.objects.get_or_create(warehouse=warehouse, sku=sku, defaults={"on_hand": stock})
    response = post_push(
        client,
        platform,
        platform_module(platform).push_body(fake, sandbox.state.shop(platform, fake.shop_id)),
        sandbox.state.shop(platform, fake.shop_id),
    )
    assert response.status_code == 200, response.content
    inbound_drain()
    return fake, Order.objects.get(platform_order_id=fake.order_id)
