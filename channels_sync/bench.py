"""The parts of `manage.py bench_ingest`: a bench shop, pre-signed pushes, senders that time every
acknowledgement, and a wait until the orders are stored.

The HTTP target and the drain are parameters, so the same measurement runs against the web server with drain
worker processes (the command) or in-process through the WSGI application (the tests).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx
from django.db import connection
from django.db.models import Count

from channels_sync.models import InboundEvent, InboundStatus
from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.registry import get_adapter
from channels_sync.sandbox.core import SandboxShop, SandboxState
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.server import platform_module
from orderhub.models import Order, Shop
from orderhub.web_server import DEFAULT_WEB_SERVER


class PushClient(Protocol):
    """What the senders need of a client: httpx.Client in-process, the lean client against the web server."""

    def __enter__(self) -> PushClient: ...

    def __exit__(self, *exc_info) -> object: ...

    def post(self, path: str, *, content: bytes, headers: dict[str, str]): ...


ClientFactory = Callable[[], PushClient]
# Shop ids no real or demo shop has: the webhook finds a push's shop by this id.
BENCH_SHOP_IDS = {"shopify": "orderhub-bench.myshopify.com", "lazada": "SGBENCH017"}
DEFAULT_BENCH_SHOP_ID = "990000017"
CURRENCIES = {"shopee": "SGD", "lazada": "SGD", "shopify": "USD"}
TARGET_ORDERS_PER_S = 1000
TARGET_P99_MS_AT_RATE = 50


class BenchError(Exception):
    """The bench cannot run or did not complete; the message says why."""


@dataclass(frozen=True)
class Push:
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Ack:
    sent_at: float  # time.time() when the request went out
    seconds: float
    status: int  # 0: no HTTP answer

    @property
    def answered_at(self) -> float:
        return self.sent_at + self.seconds


@dataclass(frozen=True)
class BenchPlan:
    orders: int
    platform: str = "shopify"
    concurrency: int = 8
    ack_rate: int = 200
    rate_seconds: float = 10
    web_server: str = DEFAULT_WEB_SERVER
    web_workers: int = 2
    drain_workers: int = 1
    # Pushes sent and stored before anything is timed: worker processes start cold (first imports,
    # connection pools, prepared statements), where a running installation's are warm.
    warmup: int = 0

    @property
    def rate_pushes(self) -> int:
        return max(round(self.ack_rate * self.rate_seconds), 1)

    @property
    def total_pushes(self) -> int:
        return self.warmup + self.orders + self.rate_pushes


def bench_shop_code(platform: str) -> str:
    return f"bench-{platform}"


def bench_shop_create(platform: str) -> tuple[Shop, SandboxShop]:
    """A fresh bench shop with credentials of its own; left-overs of an earlier `--keep` run go first."""
    adapter = get_adapter(platform)
    if adapter.push is None:
        raise BenchError(f"{platform} does not push its orders; choose a platform that does, e.g. shopify")
    code = bench_shop_code(platform)
    bench_shop_delete(code)
    platform_shop = SandboxShop(
        platform=platform,
        shop_id=BENCH_SHOP_IDS.get(platform, DEFAULT_BENCH_SHOP_ID),
        app_key=f"{code}-app-key",
        app_secret=secrets.token_hex(16),
        access_token=secrets.token_hex(16),
    )
    taken = Shop.objects.filter(platform=platform, platform_shop_id=platform_shop.shop_id).first()
    if taken is not None:
        raise BenchError(f"shop {taken.code} uses the bench's platform shop id {platform_shop.shop_id}")
    shop = Shop.objects.create(
        platform=platform,
        code=code,
        name=f"benchmark {platform}",
        platform_shop_id=platform_shop.shop_id,
        credentials={
            "app_key": platform_shop.app_key,
            "app_secret": platform_shop.app_secret,
            "access_token": platform_shop.access_token,
        },
        pull_enabled=False,  # nothing to pull: the schedules must leave it alone
    )
    return shop, platform_shop


def bench_shop_delete(code: str) -> None:
    """Removes the bench shop with its payloads and orders (lines, events and holds go with them)."""
    shop = Shop.objects.filter(code=code).first()
    if shop is None:
        return
    InboundEvent.objects.filter(shop=shop).delete()
    Order.objects.filter(shop=shop).delete()
    shop.delete()


def pushes_prepare(platform_shop: SandboxShop, count: int, *, hook_url: str) -> list[Push]:
    """`count` new paid orders from the sandbox generator, as signed pushes ready to send."""
    platform = platform_shop.platform
    state = SandboxState(rng=random.Random(secrets.randbits(64)))  # new order ids on every run
    state.add_shop(platform_shop)
    module = platform_module(platform)
    path = httpx.URL(hook_url).path
    now = datetime.now(tz=UTC)
    pushes = []
    for _ in range(count):
        order = generate_order(
            state, platform_shop, status="paid", now=now, currency=CURRENCIES.get(platform, "CNY")
        )
        body = module.push_body(order, platform_shop)
        pushes.append(Push(path, body, module.push_headers(body, platform_shop, hook_url)))
    _require_whole_orders(platform, pushes[0])
    return pushes


def _require_whole_orders(platform: str, push: Push) -> None:
    """The bench measures our pipeline, so a push must carry the order rather than send us to fetch it."""
    headers = {name.lower(): value for name, value in push.headers.items()}
    try:
        messages = get_adapter(platform).push.parse(headers, push.body)
    except PayloadError as exc:
        raise BenchError(f"the sandbox's {platform} push does not parse: {exc}") from exc
    if any(message.needs_fetch for message in messages):
        raise BenchError(
            f"{platform} pushes only announce orders (each needs a detail fetch); "
            "choose a platform whose pushes carry the order, e.g. shopify or youzan"
        )


def _send(client: PushClient, push: Push) -> Ack:
    sent_at, started = time.time(), time.perf_counter()
    try:
        status = client.post(push.path, content=push.body, headers=push.headers).status_code
    except (httpx.HTTPError, OSError):
        status = 0
    return Ack(sent_at, time.perf_counter() - started, status)


def _in_threads(work: Callable[[], None], count: int) -> None:
    errors: list[BaseException] = []

    def guarded():
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, name=f"bench-client-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def pushes_send(pushes: list[Push], client_factory: ClientFactory, *, concurrency: int) -> list[Ack]:
    """Sends every push as fast as `concurrency` clients (each one keep-alive connection) can."""
    acks: list[Ack] = [None] * len(pushes)  # type: ignore[list-item]
    indexes = itertools.count()  # next() on a count is atomic: each push is sent by one thread

    def work():
        with client_factory() as client:
            while (index := next(indexes)) < len(pushes):
                acks[index] = _send(client, pushes[index])

    _in_threads(work, concurrency)
    return acks


def pushes_send_at_rate(
    pushes: list[Push], client_factory: ClientFactory, *, rate: float, concurrency: int
) -> list[Ack]:
    """Sends the pushes on a fixed schedule of `rate` per second, whatever the answers take."""
    acks: list[Ack] = [None] * len(pushes)  # type: ignore[list-item]
    indexes = itertools.count()
    start = time.perf_counter() + 0.05

    def work():
        with client_factory() as client:
            while (index := next(indexes)) < len(pushes):
                delay = start + index / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                acks[index] = _send(client, pushes[index])

    _in_threads(work, concurrency)
    return acks


def _require_accepted(acks: list[Ack]) -> None:
    refused = Counter(ack.status for ack in acks if ack.status != 200)
    if refused:
        answers = ", ".join(f"{status or 'no answer'} ×{count}" for status, count in sorted(refused.items()))
        raise BenchError(f"{refused.total()} of {len(acks)} pushes were not accepted: {answers}")


OPEN_STATUSES = [InboundStatus.PENDING, InboundStatus.PROCESSING, InboundStatus.FAILED]


def orders_wait(
    shop_id: int, expected: int, *, timeout: float, drain: Callable[[], object] | None = None
) -> float:
    """Waits until the shop holds `expected` orders and returns when (time.time()).

    Without `drain`, worker processes do the work and this only polls; with it, it drains in-process.
    Counting the shop's orders reads every one of them (9 ms at 20,000): polled every 20 ms, the bench's
    own waiting took about a tenth of the machine it measures. So it polls for payloads still open
    (a small partial index) and counts the orders once none is.
    """
    deadline = time.monotonic() + timeout
    open_payloads = InboundEvent.objects.filter(shop_id=shop_id, status__in=OPEN_STATUSES)
    while True:
        if not open_payloads.exists():
            # Payloads are marked done after their orders commit: this moment is not early.
            none_open_at = time.time()
            if Order.objects.filter(shop_id=shop_id).count() >= expected:
                return none_open_at
        if time.monotonic() > deadline:
            stored = Order.objects.filter(shop_id=shop_id).count()
            payloads = dict(
                InboundEvent.objects.filter(shop_id=shop_id)
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
            raise BenchError(
                f"only {stored} of {expected} orders stored after {timeout:.0f} s; payloads by status: "
                f"{payloads} (are the drain workers running?)"
            )
        if drain is not None:
            drain()
        else:
            time.sleep(0.02)


def percentile_ms(acks: list[Ack], q: float) -> float:
    """Nearest-rank percentile of the acknowledgement times, in milliseconds."""
    ordered = sorted(ack.seconds for ack in acks)
    return round(ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] * 1000, 2)


def bench_run(
    plan: BenchPlan,
    *,
    shop: Shop,
    pushes: list[Push],
    client_factory: ClientFactory,
    drain: Callable[[], object] | None = None,
    timeout: float = 300,
) -> dict:
    """After `plan.warmup` untimed pushes, phase 1 sends `plan.orders` pushes flat out and times push
    accepted → last order stored; phase 2 sends the rest at `plan.ack_rate` per second while the drain
    keeps up, and times the answers."""
    if len(pushes) != plan.total_pushes:
        raise BenchError(f"expected {plan.total_pushes} prepared pushes, got {len(pushes)}")
    warmup, flat_out = pushes[: plan.warmup], pushes[plan.warmup : plan.warmup + plan.orders]
    steady = pushes[plan.warmup + plan.orders :]
    if warmup:
        _require_accepted(pushes_send(warmup, client_factory, concurrency=plan.concurrency))
        orders_wait(shop.pk, plan.warmup, timeout=timeout, drain=drain)
    acks = pushes_send(flat_out, client_factory, concurrency=plan.concurrency)
    _require_accepted(acks)
    first_accepted = min(ack.answered_at for ack in acks)
    sent_seconds = max(ack.answered_at for ack in acks) - min(ack.sent_at for ack in acks)
    all_stored = orders_wait(shop.pk, plan.warmup + plan.orders, timeout=timeout, drain=drain)
    ingest_seconds = max(all_stored - first_accepted, 1e-6)

    at_rate = pushes_send_at_rate(steady, client_factory, rate=plan.ack_rate, concurrency=plan.concurrency)
    _require_accepted(at_rate)
    orders_wait(shop.pk, len(pushes), timeout=timeout, drain=drain)
    starts = sorted(ack.sent_at for ack in at_rate)
    achieved = (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else float(plan.ack_rate)
    return {
        "orders": plan.orders,
        "warmup_pushes": plan.warmup,
        "platform": plan.platform,
        "ingest_orders_per_s": round(plan.orders / ingest_seconds, 1),
        "ingest_seconds": round(ingest_seconds, 3),
        "pushes_per_s": round(plan.orders / max(sent_seconds, 1e-6), 1),
        "ack_p50_ms": percentile_ms(acks, 50),
        "ack_p99_ms": percentile_ms(acks, 99),
        "ack_rate_per_s": plan.ack_rate,
        "ack_achieved_rate_per_s": round(achieved, 1),
        "ack_p50_ms_at_rate": percentile_ms(at_rate, 50),
        "ack_p99_ms_at_rate": percentile_ms(at_rate, 99),
        "web_server": plan.web_server,
        "web_workers": plan.web_workers,
        "drain_workers": plan.drain_workers,
        "concurrency": plan.concurrency,
        "dead_letters": InboundEvent.objects.filter(shop=shop, status="dead").count(),
        "database": connection.vendor,
    }


def bench_report(figures: dict) -> list[str]:
    """The summary for people, then the same figures as one JSON object on the last line."""
    ingest_ok = figures["ingest_orders_per_s"] >= TARGET_ORDERS_PER_S
    ack_ok = figures["ack_p99_ms_at_rate"] < TARGET_P99_MS_AT_RATE
    return [
        f"bench_ingest: {figures['orders']} {figures['platform']} orders on {figures['database']}, "
        f"{figures['web_workers']} {figures['web_server']} workers, "
        f"{figures['drain_workers']} drain workers, "
        f"{figures['concurrency']} client threads, timed after {figures['warmup_pushes']} warm-up pushes",
        f"sustained ingestion: {figures['ingest_orders_per_s']:.0f} orders/s "
        f"({figures['orders']} orders in {figures['ingest_seconds']:.2f} s from first push accepted "
        f"to last order stored; pushes answered at {figures['pushes_per_s']:.0f}/s)",
        f"acknowledgement flat out: p50 {figures['ack_p50_ms']} ms, p99 {figures['ack_p99_ms']} ms",
        f"acknowledgement at {figures['ack_rate_per_s']} pushes/s "
        f"(achieved {figures['ack_achieved_rate_per_s']:.0f}/s): "
        f"p50 {figures['ack_p50_ms_at_rate']} ms, p99 {figures['ack_p99_ms_at_rate']} ms",
        f"dead letters: {figures['dead_letters']}",
        f"targets: >= {TARGET_ORDERS_PER_S} orders/s {'met' if ingest_ok else 'NOT met'}; "
        f"p99 < {TARGET_P99_MS_AT_RATE} ms at {figures['ack_rate_per_s']}/s {'met' if ack_ok else 'NOT met'}",
        json.dumps(figures, sort_keys=True),
    ]
