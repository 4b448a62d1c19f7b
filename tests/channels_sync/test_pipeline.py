"""Push and pull, end to end: sandbox over HTTP → stored payload → worker batch → one order each."""

from datetime import timedelta

import pytest

from channels_sync.models import InboundEvent, ShopSyncState, SyncRun
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.server import platform_module
from channels_sync.services.inbound import inbound_claim, inbound_drain, inbound_process, inbound_replay
from channels_sync.services.pull import shop_pull
from orderhub.models import Order
from tests.channels_sync.conftest import ALL_PLATFORMS, PUSH_PLATFORMS, recent, sandbox_shop

pytestmark = pytest.mark.django_db
HOOK = "http://testserver/hooks/{}/"


def push(client, sandbox, order, *, body=None, secret=None):
    module = platform_module(order.platform)
    shop = sandbox.state.shop(order.platform, order.shop_id)
    if secret:
        shop = type(shop)(**{**shop.__dict__, "app_secret": secret})
    body = body if body is not None else module.push_body(order, shop)
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in module.push_headers(body, shop, HOOK.format(order.platform)).items()
    }
    headers.pop("HTTP_CONTENT_TYPE", None)
    return client.post(f"/hooks/{order.platform}/", data=body, content_type="application/json", **headers)


@pytest.mark.parametrize("platform", PUSH_PLATFORMS)
def test_a_push_becomes_exactly_one_order(client, sandbox, platform):
    shop = sandbox_shop(sandbox, platform)
    order = generate_order(sandbox.state, demo_shop(platform), status="paid", now=recent())

    first = push(client, sandbox, order)
    duplicate = push(client, sandbox, order)
    inbound_drain()

    assert first.status_code == duplicate.status_code == 200
    stored = Order.objects.get(shop=shop)
    assert (stored.platform_order_id, stored.status) == (order.order_id, "paid")
    # Lazada lists one line per unit, so compare units rather than lines.
    assert sum(stored.lines.values_list("quantity", flat=True)) == sum(line.quantity for line in order.lines)
    assert InboundEvent.objects.filter(shop=shop).count() == 1  # the duplicate was not stored twice


@pytest.mark.parametrize("platform", PUSH_PLATFORMS)
def test_a_push_with_a_bad_signature_is_refused_and_stores_nothing(client, sandbox, platform):
    sandbox_shop(sandbox, platform)
    order = generate_order(sandbox.state, demo_shop(platform), status="paid", now=recent())

    response = push(client, sandbox, order, secret="not-the-secret")

    assert response.status_code == 401
    assert not InboundEvent.objects.exists() and not Order.objects.exists()


@pytest.mark.parametrize("platform", ["douyin", "youzan", "shopify", "taobao"])
def test_a_malformed_push_is_kept_in_the_dead_letter_list(client, sandbox, platform):
    shop = sandbox_shop(sandbox, platform)
    order = generate_order(sandbox.state, demo_shop(platform), status="paid", now=recent())
    whole = platform_module(platform).push_body(order, sandbox.state.shop(platform, order.shop_id))

    response = push(client, sandbox, order, body=whole[: len(whole) // 2])
    inbound_drain()

    assert response.status_code == 200
    dead = InboundEvent.objects.get(shop=shop)
    assert dead.status == "dead" and "malformed" in dead.last_error
    assert not Order.objects.exists()
    inbound_replay([dead.pk])
    dead.refresh_from_db()
    assert dead.status == "dead" and not Order.objects.exists()


def test_out_of_order_pushes_keep_the_newest_state(client, sandbox):
    sandbox_shop(sandbox, "shopify")
    order = generate_order(sandbox.state, demo_shop("shopify"), status="paid", now=recent(5))
    module, shop = platform_module("shopify"), sandbox.state.shop("shopify", order.shop_id)
    paid_body = module.push_body(order, shop)
    advance_order(sandbox.state, order, "shipped", now=recent(1))

    push(client, sandbox, order)  # shipped arrives first
    push(client, sandbox, order, body=paid_body)  # the older "paid" after it
    inbound_drain()

    assert Order.objects.get().status == "shipped"


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_pull_stores_every_order_once_and_moves_the_cursor(sandbox, platform):
    shop = sandbox_shop(sandbox, platform)
    for minutes in range(0, 120, 4):  # PDD's window ends 3 minutes behind now
        generate_order(sandbox.state, demo_shop(platform), status="paid", now=recent(minutes + 4))

    first = shop_pull(shop=shop)
    cursor = ShopSyncState.objects.get(shop=shop).cursor
    again = shop_pull(shop=shop, since=recent(180), until=recent(1))

    assert first.ok, first.error_message
    assert (first.orders_new, Order.objects.filter(shop=shop).count()) == (30, 30)
    assert again.ok and again.orders_new == 0 and again.orders_unchanged == 30
    assert cursor == first.window_end


def test_pull_picks_up_status_changes_and_keeps_the_raw_status(sandbox):
    shop = sandbox_shop(sandbox, "taobao")
    order = generate_order(sandbox.state, demo_shop("taobao"), status="paid", now=recent(30))
    shop_pull(shop=shop)
    advance_order(sandbox.state, order, "shipped", now=recent(2))

    run = shop_pull(shop=shop)

    stored = Order.objects.get()
    assert run.orders_updated == 1
    assert (stored.status, stored.raw_status) == ("shipped", "WAIT_BUYER_CONFIRM_GOODS")


def test_expired_token_fails_the_run_reports_it_and_keeps_the_cursor(sandbox):
    shop = sandbox_shop(sandbox, "pdd")
    shop.credentials = shop.credentials | {"access_token": "expired"}
    shop.save()

    run = shop_pull(shop=shop)

    state = ShopSyncState.objects.get(shop=shop)
    assert run.ok is False and "authorisation expired" in run.error_message
    assert state.cursor is None and state.auth_error


def test_throttled_and_failing_calls_are_retried_within_the_pull(sandbox):
    shop = sandbox_shop(sandbox, "jd")
    for minutes in range(5):
        generate_order(sandbox.state, demo_shop("jd"), status="paid", now=recent(minutes + 2))
    sandbox.state.faults.throttle_next = 2
    sandbox.state.faults.fail_next = 1

    run = shop_pull(shop=shop)

    assert run.ok and run.orders_new == 5


def test_backfill_rereads_the_last_two_hours(sandbox):
    shop = sandbox_shop(sandbox, "youzan")
    generate_order(sandbox.state, demo_shop("youzan"), status="paid", now=recent(90))

    run = shop_pull(shop=shop, kind="backfill")

    assert run.window_end - run.window_start == timedelta(hours=2)
    assert run.orders_new == 1
    assert ShopSyncState.objects.get(shop=shop).cursor is None  # back-fill never moves the cursor


def test_sync_runs_record_windows_and_counts(sandbox):
    shop = sandbox_shop(sandbox, "lazada")
    generate_order(sandbox.state, demo_shop("lazada"), status="paid", now=recent(3))

    shop_pull(shop=shop)

    run = SyncRun.objects.get()
    assert run.pages >= 1 and run.finished_at and run.duration_seconds >= 0


def test_a_push_for_a_shop_we_do_not_have_becomes_a_dead_letter_not_another_shops_order(client, sandbox):
    sandbox_shop(sandbox, "youzan")
    demo = demo_shop("youzan")
    stranger = sandbox.state.add_shop(type(demo)(**{**demo.__dict__, "shop_id": "99999999"}))
    order = generate_order(sandbox.state, stranger, status="paid", now=recent())

    response = push(client, sandbox, order)
    inbound_drain()

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.shop_id, event.status) == (None, "dead")
    assert not Order.objects.exists()


def test_a_failing_detail_fetch_does_not_stall_the_batch_and_is_retried_later(client, sandbox, settings):
    settings.CHANNEL_RETRY_DELAY_SECONDS = 30  # would stall the worker if the drain slept between retries
    settings.INBOUND_RETRY_DELAY_SECONDS = 60
    sandbox_shop(sandbox, "douyin")
    first = generate_order(sandbox.state, demo_shop("douyin"), status="paid", now=recent())
    second = generate_order(sandbox.state, demo_shop("douyin"), status="paid", now=recent())
    push(client, sandbox, first)
    push(client, sandbox, second)
    sandbox.state.faults.fail_next = 1  # the first detail fetch gets a 503

    report = inbound_drain()

    assert (report.failed, report.outcomes["created"]) == (1, 1)
    failed = InboundEvent.objects.get(status="failed")
    assert "503" in failed.last_error and failed.available_at is not None
    InboundEvent.objects.filter(pk=failed.pk).update(available_at=recent(1))
    inbound_drain()
    assert Order.objects.count() == 2


@pytest.mark.parametrize("platform", ["shopify", "douyin"])
def test_a_push_our_parser_refused_is_parsed_again_on_replay_after_the_fix(
    client, sandbox, monkeypatch, platform
):
    """Shopify pushes carry the order; Douyin's only announce it (the replay fetches the detail)."""
    from dataclasses import replace

    from channels_sync import webhooks
    from channels_sync.platforms.base import PayloadError
    from channels_sync.platforms.registry import get_adapter

    def broken_parse(headers, body):
        raise PayloadError("parser bug")

    adapter = get_adapter(platform)
    monkeypatch.setattr(
        webhooks, "get_adapter", lambda name: replace(adapter, push=replace(adapter.push, parse=broken_parse))
    )
    shop = sandbox_shop(sandbox, platform)
    order = generate_order(sandbox.state, demo_shop(platform), status="paid", now=recent())
    push(client, sandbox, order)
    dead = InboundEvent.objects.get(shop=shop)
    assert dead.status == "dead" and dead.push_headers
    monkeypatch.undo()  # the parser is fixed

    inbound_replay([dead.pk])
    inbound_replay([dead.pk])

    stored = Order.objects.get(shop=shop)
    assert (stored.platform_order_id, stored.status) == (order.order_id, "paid")
    dead.refresh_from_db()
    assert dead.status == "done" and dead.external_id == order.order_id


def test_a_claim_counts_the_attempt_before_processing_and_processing_does_not_count_it_again(client, sandbox):
    sandbox_shop(sandbox, "shopify")
    push(client, sandbox, generate_order(sandbox.state, demo_shop("shopify"), status="paid", now=recent()))
    event = InboundEvent.objects.get()

    claimed = inbound_claim(limit=10)  # a worker that dies now has still used up one attempt
    event.refresh_from_db()
    assert claimed == [event.pk] and (event.status, event.attempts) == ("processing", 1)

    inbound_process(claimed, counted=True)
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("done", 1)
