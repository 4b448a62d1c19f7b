"""bench_ingest's measurement on a tiny scale, in-process: the WSGI application answers the pushes and
the wait drains them, where the command uses gunicorn and drain worker processes. Not a timed test."""

import io
import json

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_sync.bench import (
    BenchError,
    BenchPlan,
    bench_report,
    bench_run,
    bench_shop_create,
    bench_shop_delete,
    orders_wait,
    pushes_prepare,
)
from channels_sync.models import InboundEvent
from channels_sync.services.inbound import inbound_claim, inbound_drain, inbound_process
from orderhub.models import Order, Shop

pytestmark = pytest.mark.django_db(transaction=True)
FIGURES = {
    "orders",
    "ingest_orders_per_s",
    "ack_p50_ms",
    "ack_p99_ms",
    "ack_rate_per_s",
    "ack_p50_ms_at_rate",
    "ack_p99_ms_at_rate",
    "web_workers",
    "drain_workers",
    "database",
}


def in_process_client() -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://testserver"
    )


def test_the_bench_stores_every_pushed_order_and_ends_with_its_figures_as_json():
    # Given a bench shop and 20 signed pushes, plus 5 for the steady-rate phase
    plan = BenchPlan(orders=20, concurrency=1, ack_rate=50, rate_seconds=0.1, web_workers=0, drain_workers=0)
    shop, platform_shop = bench_shop_create("shopify")
    pushes = pushes_prepare(platform_shop, 25, hook_url="http://testserver/hooks/shopify/")

    # When the bench runs against the WSGI application, draining in-process
    figures = bench_run(plan, shop=shop, pushes=pushes, client_factory=in_process_client, drain=inbound_drain)
    lines = bench_report(figures)

    # Then every push became exactly one order, and the last line holds the figures as JSON
    assert Order.objects.filter(shop=shop).count() == 25
    assert InboundEvent.objects.filter(shop=shop, status="done").count() == 25
    last = json.loads(lines[-1])
    assert last.keys() >= FIGURES
    assert last["orders"] == 20 and last["database"] == connection.vendor and last["dead_letters"] == 0
    assert last["ingest_orders_per_s"] > 0 and 0 < last["ack_p50_ms"] <= last["ack_p99_ms"]
    assert any("orders/s" in line for line in lines[:-1])  # the summary for people comes first


def test_the_bench_shop_goes_with_its_payloads_and_orders():
    # Given a bench run that stored orders
    shop, platform_shop = bench_shop_create("shopify")
    pushes = pushes_prepare(platform_shop, 3, hook_url="http://testserver/hooks/shopify/")
    with in_process_client() as client:
        for push in pushes:
            client.post(push.path, content=push.body, headers=push.headers)
    inbound_drain()
    assert Order.objects.filter(shop=shop).count() == 3

    # When it is cleaned up
    bench_shop_delete(shop.code)

    # Then nothing of it is left
    assert not Shop.objects.filter(code=shop.code).exists()
    assert not Order.objects.exists() and not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    ("platform", "reason"), [("jd", "does not push"), ("douyin", "only announce orders")]
)
def test_a_platform_whose_pushes_carry_no_order_is_refused(platform, reason):
    with pytest.raises(BenchError, match=reason):
        _, platform_shop = bench_shop_create(platform)
        pushes_prepare(platform_shop, 1, hook_url=f"http://testserver/hooks/{platform}/")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"orders": 0}, "--orders must be at least 1"),
        ({"platform": "ebay"}, "unknown platform"),
        ({"warmup": -1}, "--warmup must be 0 or more"),
    ],
)
def test_bad_options_are_refused_with_a_reason(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench_ingest", **options)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="checks the refusal on SQLite")
def test_the_command_refuses_sqlite_unless_asked():
    with pytest.raises(CommandError, match="--allow-sqlite"):
        call_command("bench_ingest", orders=10)


def test_drain_inbound_turns_the_backlog_into_orders_and_says_so():
    # Given three stored pushes waiting for a worker
    shop, platform_shop = bench_shop_create("shopify")
    pushes = pushes_prepare(platform_shop, 3, hook_url="http://testserver/hooks/shopify/")
    with in_process_client() as client:
        for push in pushes:
            client.post(push.path, content=push.body, headers=push.headers)
    out = io.StringIO()

    # When the drain worker runs once (without --loop it stops when no work is left)
    call_command("drain_inbound", "--batch-size", "2", stdout=out)

    # Then every payload became an order, and the summary counts them
    assert Order.objects.filter(shop=shop).count() == 3
    assert "drained 3 payloads" in out.getvalue() and "created 3" in out.getvalue()


def test_drain_inbound_refuses_a_bad_batch_size():
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("drain_inbound", "--batch-size", "0")


def _stored_pushes(count: int) -> Shop:
    shop, platform_shop = bench_shop_create("shopify")
    with in_process_client() as client:
        for push in pushes_prepare(platform_shop, count, hook_url="http://testserver/hooks/shopify/"):
            client.post(push.path, content=push.body, headers=push.headers)
    return shop


def test_the_wait_counts_the_orders_once_no_payload_is_open():
    """Counting the shop's orders reads all of them; polled every 20 ms it loaded the machine it measured."""
    # Given three stored pushes, drained one per poll
    shop = _stored_pushes(3)

    def drain_one():
        inbound_process(inbound_claim(limit=1), counted=True)

    # When the bench waits for their orders
    with CaptureQueriesContext(connection) as queries:
        orders_wait(shop.pk, 3, timeout=30, drain=drain_one)

    # Then it polled for open payloads and counted the orders once, at the end
    order_table = Order._meta.db_table
    counts = [q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"] and order_table in q["sql"]]
    assert len(counts) == 1
    assert Order.objects.filter(shop=shop).count() == 3


def test_the_wait_gives_up_saying_how_far_it_got():
    # Given a push whose payload became a dead letter: its order will never come
    shop = _stored_pushes(1)
    InboundEvent.objects.filter(shop=shop).update(status="dead")

    # When the bench waits for it, Then it stops at its timeout with what it found
    with pytest.raises(BenchError, match=r"only 0 of 1 orders stored .*'dead': 1"):
        orders_wait(shop.pk, 1, timeout=0.1)


def test_warm_up_pushes_are_stored_before_the_timed_ones_are_sent():
    # Given a plan with 4 warm-up pushes before 6 timed ones (and 5 at the steady rate)
    plan = BenchPlan(
        orders=6, warmup=4, concurrency=1, ack_rate=50, rate_seconds=0.1, web_workers=0, drain_workers=0
    )
    shop, platform_shop = bench_shop_create("shopify")
    pushes = pushes_prepare(platform_shop, plan.total_pushes, hook_url="http://testserver/hooks/shopify/")
    stored_when_sent = []

    class CountingClient(httpx.Client):
        def post(self, url, **kwargs):
            stored_when_sent.append(Order.objects.filter(shop=shop).count())
            return super().post(url, **kwargs)

    def client_factory():
        return CountingClient(
            transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://testserver"
        )

    # When the bench runs
    figures = bench_run(plan, shop=shop, pushes=pushes, client_factory=client_factory, drain=inbound_drain)

    # Then the first timed push went out once every warm-up order was stored, and the figures say so
    assert len(pushes) == 15 and stored_when_sent[4] == 4
    assert (figures["orders"], figures["warmup_pushes"]) == (6, 4)
    assert Order.objects.filter(shop=shop).count() == 15
