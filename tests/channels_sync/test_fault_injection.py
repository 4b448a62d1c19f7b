"""Acceptance: orders delivered through every fault the sandbox injects end as exactly one order each,
with the platform's latest status; malformed pushes wait in the dead-letter list and replay cleanly.

Pushes reach the real webhook through Django's WSGI application; detail fetches and pulls reach the
sandbox over HTTP. PostgreSQL only: workers claim batches with SELECT ... FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection

from channels_sync.models import InboundEvent, InboundSource, InboundStatus
from channels_sync.platforms.registry import get_adapter
from channels_sync.sandbox.core import FakeOrder, SandboxState
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.pusher import push_order, push_stale_then_current
from channels_sync.sandbox.server import platform_module
from channels_sync.services.inbound import (
    InboundItem,
    inbound_claim,
    inbound_drain,
    inbound_replay,
    inbound_store,
)
from channels_sync.services.pull import shop_pull
from orderhub.models import Order, OrderEvent
from tests.channels_sync.conftest import recent, sandbox_shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PUSH_PLATFORMS = ("shopify", "youzan", "douyin", "taobao")
PLATFORMS = (*PUSH_PLATFORMS, "jd")  # JD does not push: its orders only arrive by pulls
N = 300
KILLED_BATCH = 40
SILENT_SHARE = 0.15  # changes the platform never pushes: only a pull sees them
OUT_OF_ORDER_SHARE = 0.10
HOOK = "http://testserver/hooks/{}/"


class Emitter:
    """Delivers the sandbox's orders to OrderHub's webhook, counting what it sent and how."""

    def __init__(self, state: SandboxState, hooks: httpx.Client, rng: random.Random):
        self.state, self.hooks, self.rng = state, hooks, rng
        self.sent: Counter[str] = Counter()
        self.malformed: list[tuple[str, bytes]] = []  # (platform, the whole body that was cut)

    def deliver(self, order: FakeOrder, before: FakeOrder | None = None) -> None:
        if order.platform not in PUSH_PLATFORMS or self.rng.random() < SILENT_SHARE:
            self.sent["silent"] += 1
            return
        hook = HOOK.format(order.platform)
        if before is not None and self.rng.random() < OUT_OF_ORDER_SHARE:
            results = push_stale_then_current(self.state, before, order, hook, self.hooks)
            self.sent["out_of_order"] += 1
        else:
            module, shop = platform_module(order.platform), self.state.shop(order.platform, order.shop_id)
            whole = module.push_body(copy.deepcopy(order), shop)  # what the pusher signs and may cut
            results = push_order(self.state, order, hook, self.hooks)
            if results[0].malformed:
                self.malformed.append((order.platform, whole))
            self.sent["duplicate"] += sum(result.duplicate for result in results)
        assert all(result.status == 200 for result in results), results
        self.sent["requests"] += len(results)


def _next_status(status: str, rng: random.Random) -> str:
    if status == "pending_payment":
        return "paid"
    if status == "paid":
        return "cancelled" if rng.random() < 0.05 else "shipped"
    return "completed"


def _repair(event: InboundEvent, platform: str, whole: bytes) -> None:
    """The fix: the payload as the platform meant it, with what the webhook reads from a whole push."""
    module = platform_module(platform)
    shop = demo_shop(platform)
    headers = {k.lower(): v for k, v in module.push_headers(whole, shop, HOOK.format(platform)).items()}
    (message,) = get_adapter(platform).push.parse(headers, whole)
    InboundEvent.objects.filter(pk=event.pk).update(
        payload=whole.decode(),
        external_id=message.external_id,
        needs_fetch=message.needs_fetch,
        kind=message.kind,
        topic=message.topic,
        message_id=message.message_id,
    )


def _statuses() -> dict[tuple[str, str], str]:
    return {
        (platform, order_id): status
        for platform, order_id, status in Order.objects.values_list(
            "shop__platform", "platform_order_id", "status"
        )
    }


def _count_throttles(monkeypatch) -> Counter[str]:
    """Counts the throttle answers the sandbox gives, per platform."""
    counted: Counter[str] = Counter()
    for platform in PLATFORMS:
        module = platform_module(platform)

        def throttled(retry_after, _answer=module.throttled, _platform=platform):
            counted[_platform] += 1
            return _answer(retry_after)

        monkeypatch.setattr(module, "throttled", throttled)
    return counted


def test_faults_end_as_exactly_the_platforms_orders_with_their_latest_status(sandbox, settings, monkeypatch):
    # Given shops wired to the sandbox, which throttles 5% of API calls and duplicates 10% and cuts 2%
    # of pushes; 300 orders, then two rounds of status changes, some pushed stale-after-current and
    # some never pushed at all
    shops = [sandbox_shop(sandbox, platform) for platform in PLATFORMS]
    faults = sandbox.state.faults
    faults.throttle_rate, faults.duplicate_push_rate, faults.malformed_push_rate = 0.05, 0.10, 0.02
    throttles = _count_throttles(monkeypatch)
    rng = random.Random(3)
    hooks = httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://testserver"
    )
    emitter = Emitter(sandbox.state, hooks, rng)
    start = recent(110)
    orders = []
    for index in range(N):
        platform = PLATFORMS[index % len(PLATFORMS)]
        status = "pending_payment" if platform != "jd" and rng.random() < 0.2 else "paid"
        at = start + timedelta(seconds=12 * index)
        orders.append(generate_order(sandbox.state, demo_shop(platform), status=status, now=at))
        emitter.deliver(orders[-1])

    # ... and a worker that claims a batch, then dies without processing it
    abandoned = inbound_claim(limit=KILLED_BATCH)
    inbound_drain()
    assert len(abandoned) == KILLED_BATCH
    assert (
        InboundEvent.objects.filter(pk__in=abandoned, status=InboundStatus.PROCESSING).count() == KILLED_BATCH
    )

    for round_, minutes in enumerate((25, 45)):
        for order in orders:
            if order.status in ("completed", "cancelled") or (round_ and rng.random() < 0.5):
                continue
            before = copy.deepcopy(order)
            advance_order(
                sandbox.state,
                order,
                _next_status(order.status, rng),
                now=order.created_at + timedelta(minutes=minutes),
            )
            emitter.deliver(order, before)
        inbound_drain()

    # When the hourly back-fill runs and a worker reclaims the dead worker's batch
    runs = [shop_pull(shop=shop, kind="backfill") for shop in shops]
    settings.INBOUND_CLAIM_TIMEOUT_SECONDS = 0
    inbound_drain()

    # Then OrderHub holds exactly the platforms' orders, one each, with the newest status
    assert all(run.ok for run in runs), [run.error_message for run in runs]
    latest = {(order.platform, order.order_id): order.status for order in orders}
    assert Order.objects.count() == N
    assert _statuses() == latest
    assert OrderEvent.objects.filter(type="order_received").count() == N  # each created once
    # ... every fault was really injected
    assert emitter.sent["duplicate"] > 0 and emitter.sent["out_of_order"] > 0 and emitter.sent["silent"] > 0
    assert throttles.total() > 0
    # ... nothing is left half done: the abandoned batch was processed too
    assert not InboundEvent.objects.exclude(status__in=[InboundStatus.DONE, InboundStatus.DEAD]).exists()
    # ... and exactly the malformed pushes wait in the dead-letter list
    dead = list(InboundEvent.objects.filter(status=InboundStatus.DEAD).order_by("pk"))
    assert emitter.malformed and len(dead) == len(emitter.malformed)
    assert all(event.source == InboundSource.PUSH and "malformed" in event.last_error for event in dead)

    # When the cause is fixed and the dead letters are replayed
    cut = {
        whole[: max(len(whole) // 2, 1)].decode("utf-8", errors="replace"): (p, whole)
        for p, whole in emitter.malformed
    }
    for event in dead:
        _repair(event, *cut[event.payload])
    report = inbound_replay([event.pk for event in dead])

    # Then they are processed, and no order is duplicated or set back
    assert report.dead == report.failed == 0
    assert InboundEvent.objects.filter(pk__in=[e.pk for e in dead], status=InboundStatus.DONE).count() == len(
        dead
    )
    assert Order.objects.count() == N
    assert _statuses() == latest


def _shopify_backlog(sandbox, count: int) -> list[FakeOrder]:
    """Pending payloads straight in the store: each order's paid push, then its shipped push."""
    shop = sandbox_shop(sandbox, "shopify")
    module, platform_shop = platform_module("shopify"), demo_shop("shopify")
    orders, items = [], []
    for index in range(count):
        order = generate_order(sandbox.state, platform_shop, status="paid", now=recent(90 - index % 60))
        bodies = [module.push_body(order, platform_shop)]
        advance_order(sandbox.state, order, "shipped", now=order.updated_at + timedelta(minutes=1))
        bodies.append(module.push_body(order, platform_shop))
        orders.append(order)
        items += [
            InboundItem(
                platform="shopify",
                source=InboundSource.PUSH,
                shop_id=shop.pk,
                payload=body.decode(),
                external_id=order.order_id,
            )
            for body in bodies
        ]
    assert len(inbound_store(items)) == 2 * count
    return orders


def test_two_workers_draining_one_backlog_never_process_a_payload_twice(sandbox, settings):
    # Given a backlog of 400 pending payloads: 200 orders, each paid and then shipped
    orders = _shopify_backlog(sandbox, 200)
    barrier = threading.Barrier(2)
    processed: dict[str, int] = {}

    def worker(name: str) -> None:
        barrier.wait()
        try:
            report = inbound_drain(batch_size=20)
            processed[name] = sum(report.outcomes.values()) + report.failed + report.dead
        finally:
            close_old_connections()
            connection.close()

    # When two workers drain it at the same time
    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then both took part, and every payload was processed exactly once
    assert sorted(processed) == ["a", "b"] and min(processed.values()) > 0
    assert sum(processed.values()) == 400
    attempts = Counter(InboundEvent.objects.values_list("status", "attempts"))
    assert attempts == {(InboundStatus.DONE, 1): 400}
    # ... and each order was created once, with its newest status
    assert Order.objects.count() == 200
    assert OrderEvent.objects.filter(type="order_received").count() == 200
    assert _statuses() == {("shopify", order.order_id): "shipped" for order in orders}
