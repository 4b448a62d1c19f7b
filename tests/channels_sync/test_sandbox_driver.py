"""The sandbox driver and `run_sandbox`: live orders and their pushes reach OrderHub as they should.

The driver's pushes reach OrderHub's webhook through `httpx.WSGITransport` over Django's WSGI handler
rather than through `live_server`: the request runs in the test's own thread and transaction, so these
stay fast `django_db` tests (no server thread, no flushing every table after each test), while the
pushes still go through the real HTTP client, headers, signatures and view. The webhook's detail
fetches go to a real RunningSandbox over HTTP, as in production.
"""

import io
import random
import threading
import time
from datetime import timedelta

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import CommandError, call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from channels_sync.management.commands.run_sandbox import Command as RunSandbox
from channels_sync.models import InboundEvent
from channels_sync.sandbox.demo import DEMO_SHOP_IDS, demo_state
from channels_sync.sandbox.driver import UNREACHABLE, SandboxDriver
from channels_sync.sandbox.server import PLATFORMS, RunningSandbox
from channels_sync.services.inbound import inbound_drain
from channels_sync.services.pull import shop_pull
from orderhub.models import Order, Shop
from orderhub.web_server import free_port
from tests.channels_sync.conftest import PUSH_PLATFORMS, recent, sandbox_shop

pytestmark = pytest.mark.django_db
HOOKS = "http://testserver/hooks"


@pytest.fixture
def hooks_http():
    """An httpx client whose requests OrderHub's WSGI application serves in this thread.

    As Django's test client does, requests leave the connection alone: it sits inside the test
    transaction, and close_old_connections would mark that transaction for rollback.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=WSGIHandler()), base_url="http://testserver"
        ) as c:
            yield c
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


class Clock:
    """Driver time: starts an hour ago and moves on 20 seconds a tick, so every change has its own time."""

    def __init__(self):
        self.moment = recent(60)

    def __call__(self):
        self.moment += timedelta(seconds=20)
        return self.moment


def driver(sandbox, http, platforms, *, hooks=HOOKS) -> SandboxDriver:
    return SandboxDriver(sandbox.state, hooks, http, random.Random(7), platforms, now=Clock())


def sandbox_orders(sandbox, platform):
    return sandbox.state.shop_orders(platform, DEMO_SHOP_IDS[platform])


def test_ticks_create_orders_on_every_platform_none_unpaid_on_pdd_or_jd(sandbox, hooks_http):
    for platform in PLATFORMS:
        sandbox_shop(sandbox, platform)
    live = driver(sandbox, hooks_http, PLATFORMS)

    for _ in range(10):
        live.tick(orders=8)

    orders = [order for platform in PLATFORMS for order in sandbox_orders(sandbox, platform)]
    assert {order.platform for order in orders} == set(PLATFORMS)
    assert live.stats.orders_created.total() == len(orders) == 80
    assert [o for o in orders if o.platform in {"pdd", "jd"} and o.status == "pending_payment"] == []
    assert {o.status for o in orders} >= {"pending_payment", "paid", "shipped", "completed"}
    # Every platform but JD pushed, and OrderHub accepted every push.
    assert set(InboundEvent.objects.values_list("platform", flat=True)) == set(PUSH_PLATFORMS)
    assert live.stats.pushes_sent > 80 and not live.stats.push_failures


def test_duplicate_and_out_of_order_pushes_leave_exactly_the_latest_orders(sandbox, hooks_http):
    shops = {platform: sandbox_shop(sandbox, platform) for platform in PUSH_PLATFORMS}
    sandbox.state.faults.duplicate_push_rate = 0.3
    sandbox.state.faults.out_of_order_push_rate = 0.3
    live = driver(sandbox, hooks_http, PUSH_PLATFORMS)

    for _ in range(12):
        live.tick(orders=3)
    report = inbound_drain()

    assert live.stats.duplicates_sent and live.stats.stale_pairs_sent and not live.stats.push_failures
    assert report.failed == report.dead == 0
    for platform, shop in shops.items():
        generated = {order.order_id: order.status for order in sandbox_orders(sandbox, platform)}
        stored = dict(Order.objects.filter(shop=shop).values_list("platform_order_id", "status"))
        assert stored == generated, platform


def test_malformed_pushes_all_land_in_the_dead_letter_list_and_make_no_order(sandbox, hooks_http):
    for platform in PUSH_PLATFORMS:
        sandbox_shop(sandbox, platform)
    sandbox.state.faults.malformed_push_rate = 1.0
    live = driver(sandbox, hooks_http, PUSH_PLATFORMS)

    for _ in range(4):
        live.tick(orders=len(PUSH_PLATFORMS))
    inbound_drain()

    events = InboundEvent.objects.all()
    assert not Order.objects.exists()
    assert not live.stats.push_failures  # the webhook keeps a malformed body and says so with a 200
    assert events.count() == live.stats.pushes_sent
    assert {event.platform for event in events} == set(PUSH_PLATFORMS)
    assert all(event.status == "dead" and "malformed" in event.last_error for event in events)


def test_a_refused_push_is_counted_not_raised(sandbox):
    closed = f"http://127.0.0.1:{free_port()}/hooks"
    with httpx.Client(timeout=2) as http:
        live = driver(sandbox, http, ["taobao", "jd", "shopify"], hooks=closed)

        live.tick(orders=3)

    assert live.stats.orders_created.total() == 3
    assert live.stats.push_failures == {UNREACHABLE: 2}  # taobao and shopify; JD does not push
    assert live.stats.pushes_sent == 0


def test_demo_shops_seeded_by_seed_demo_pull_from_a_running_sandbox(settings):
    with RunningSandbox(demo_state(), port=free_port()) as sandbox:
        settings.ORDERHUB_SANDBOX, settings.ORDERHUB_SANDBOX_URL = True, sandbox.url
        call_command("seed_demo", stdout=io.StringIO())
        with httpx.Client() as http:
            SandboxDriver(sandbox.state, HOOKS, http, random.Random(3), PLATFORMS).seed(3)

        runs = {p: shop_pull(shop=Shop.objects.get(code=f"demo-{p}")) for p in PLATFORMS}

    assert {p: (run.ok, run.error_message, run.orders_new) for p, run in runs.items()} == {
        p: (True, "", 3) for p in PLATFORMS
    }


@pytest.mark.parametrize(
    "arguments",
    [
        ["--throttle-rate", "2"],
        ["--malformed-rate", "-0.1"],
        ["--rate", "-1"],
        ["--latency-ms", "-1"],
        ["--seed-orders", "-5"],
        ["--platforms", "taobao,ebay"],
        ["--platforms", ","],
    ],
)
def test_run_sandbox_refuses_bad_arguments(arguments):
    with pytest.raises(CommandError):
        call_command("run_sandbox", "--port", str(free_port()), *arguments)


def test_run_sandbox_serves_until_stopped_and_reports():
    port, out = free_port(), io.StringIO()
    command = RunSandbox()
    arguments = ["--port", str(port), "--rate", "0", "--seed-orders", "2", "--platforms", "taobao,jd"]
    runner = threading.Thread(target=call_command, args=(command, *arguments), kwargs={"stdout": out})
    runner.start()
    try:
        answered = _wait_for(f"http://127.0.0.1:{port}/_control/calls")
    finally:
        command.stop.set()
        runner.join(timeout=10)

    assert answered and not runner.is_alive()
    text = out.getvalue()
    assert f"sandbox serving at http://127.0.0.1:{port}/<platform> for taobao, jd" in text
    assert "4 orders seeded" in text and "no new orders" in text and "faults: none" in text
    assert "sandbox stopped: orders generated 4" in text
    with pytest.raises(httpx.ConnectError):  # stopping closed the port
        httpx.post(f"http://127.0.0.1:{port}/_control/calls")


def _wait_for(url: str) -> bool:
    for _ in range(100):
        try:
            return httpx.post(url, json={}).status_code == 200
        except httpx.ConnectError:
            time.sleep(0.05)
    return False
