"""The parts of `manage.py simulate_peak`: the sandbox pushing new paid orders of the demo shops at a fixed
rate to a running web server, while the real worker cluster ingests, decides and allocates them; progress
sampled every few seconds; the figures and a verdict against the targets in the README.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from django.db import connection
from django.db.models import Min

from channels_sync.models import InboundEvent
from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.registry import get_adapter
from channels_sync.sandbox.core import SandboxState
from channels_sync.sandbox.demo import DEMO_SHOP_IDS, demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.server import platform_module
from channels_sync.selectors import inbound_claimable_now
from fulfillment.models import Allocation, Stock
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.services.stock import StockLevelRow, stock_set_levels
from orderhub.models import Hold, Order, OrderEvent, OrderLine, OrderLineSku, Shop

# The targets stated in the README ("Production and scale-out").
TARGET_ACK_P99_MS = 50
TARGET_PAID_TO_ALLOCATED_P95_S = 1.0
TARGET_DRAIN_SECONDS = 60
STALL_SECONDS = 45
CURRENCIES = {"shopee": "SGD", "lazada": "SGD", "shopify": "USD"}


class PeakError(Exception):
    """The simulation cannot run; the message says why."""


@dataclass
class Sent:
    platform: str
    order_id: str
    sent_at: float  # time.time()
    seconds: float
    status: int


@dataclass
class PeakRun:
    rate: float
    seconds: float
    shops: dict[str, Shop]
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started_at: float = 0.0
    pushing_ended_at: float = 0.0
    start_dt: datetime | None = None
    # Every order of the run has a greater id: progress counts them by the primary key, not by a scan.
    order_floor: int = 0


def whole_order_platforms(requested: list[str] | None = None) -> list[str]:
    """Demo platforms whose push carries the whole order: no detail fetch, no sandbox API needed."""
    chosen = []
    state = SandboxState()
    for platform in requested or list(DEMO_SHOP_IDS):
        module = platform_module(platform)
        adapter = get_adapter(platform)
        if not getattr(module, "PUSHES", False) or adapter.push is None:
            continue
        shop = state.add_shop(demo_shop(platform))
        order = generate_order(state, shop, status="paid", now=datetime.now(tz=UTC))
        body = module.push_body(order, shop)
        headers = {k.lower(): v for k, v in module.push_headers(body, shop, "http://x/hooks/").items()}
        try:
            messages = adapter.push.parse(headers, body)
        except PayloadError:
            continue
        if messages and not any(message.needs_fetch for message in messages):
            chosen.append(platform)
    return chosen


def demo_shops(platforms: list[str]) -> dict[str, Shop]:
    shops = {shop.platform: shop for shop in Shop.objects.filter(code__in=[f"demo-{p}" for p in platforms])}
    missing = [p for p in platforms if p not in shops]
    if missing:
        raise PeakError(
            f"demo shops missing for {', '.join(missing)}: run `python manage.py seed_demo` first"
        )
    return shops


def stock_top_up(orders_expected: int) -> int:
    """Enough stock that the peak measures the flow, not a sell-out: every stock row gets on hand raised
    to what is allocated plus 5 units per expected order (recorded as a count with its reason)."""
    rows = [
        StockLevelRow(warehouse_id=w, sku_id=s, on_hand=allocated + 5 * orders_expected)
        for w, s, allocated in Stock.objects.values_list("warehouse_id", "sku_id", "allocated")
    ]
    if not rows:
        raise PeakError("no stock rows: run `python manage.py seed_demo` first")
    stock_set_levels(rows, source="count", reason="simulate_peak: stock for the peak")
    return len(rows)


@dataclass(frozen=True)
class PreparedPush:
    platform: str
    order_id: str
    path: str
    body: bytes
    headers: dict


def pushes_prepare(run: PeakRun, hook_base: str, *, seed: int | None = None) -> list[PreparedPush]:
    """Every push of the run, generated and signed before the clock starts: the load generator shares the
    machine's cores with the server, so it should not spend them during the run."""
    # New order ids on every run (a fixed seed would repeat the last run's orders as mere updates).
    state = SandboxState(rng=random.Random(seed if seed is not None else secrets.randbits(64)))
    shops = {p: state.add_shop(demo_shop(p)) for p in run.shops}
    platforms = list(run.shops)
    total = max(round(run.rate * run.seconds), 1)
    now = datetime.now(tz=UTC)
    prepared = []
    for index in range(total):
        platform = platforms[index % len(platforms)]
        shop, module = shops[platform], platform_module(platform)
        order = generate_order(state, shop, status="paid", now=now, currency=CURRENCIES.get(platform, "CNY"))
        body = module.push_body(order, shop)
        path = f"/hooks/{platform}/"
        prepared.append(
            PreparedPush(
                platform, order.order_id, path, body, module.push_headers(body, shop, f"{hook_base}{path}")
            )
        )
    return prepared


def push_at_rate(
    run: PeakRun, hook_base: str, pushes: list[PreparedPush], *, concurrency: int, stop: threading.Event
) -> None:
    """Sends the prepared pushes on a fixed schedule of `rate` a second, whatever the answers take."""
    indexes = itertools.count()
    warmed = threading.Event()
    start = 0.0

    def work():
        with httpx.Client(base_url=hook_base, timeout=30) as client:
            # Warm-up: open this client's keep-alive connection before the clock starts.
            for _ in range(3):
                with contextlib.suppress(httpx.HTTPError):
                    client.get("/healthz")
            warmed.wait()
            while not stop.is_set() and (index := next(indexes)) < len(pushes):
                delay = start + index / run.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                push = pushes[index]
                sent_at, began = time.time(), time.perf_counter()
                try:
                    status = client.post(push.path, content=push.body, headers=push.headers).status_code
                except httpx.HTTPError:
                    status = 0
                with run.lock:
                    run.sent.append(
                        Sent(push.platform, push.order_id, sent_at, time.perf_counter() - began, status)
                    )

    threads = [threading.Thread(target=work, name=f"peak-push-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    run.started_at = time.time()
    start = time.perf_counter() + 0.05
    warmed.set()
    for thread in threads:
        thread.join()
    run.pushing_ended_at = time.time()


# What a peak fills: analysed during the run where autovacuum would do it (see orderhub/planner_stats.py).
PEAK_TABLES = (
    InboundEvent,
    Order,
    OrderLine,
    OrderLineSku,
    OrderEvent,
    Hold,
    OrderFulfillment,
    Allocation,
    Stock,
)


def inbound_claimable_count() -> int:
    return inbound_claimable_now().count()


def _our_orders(run: PeakRun):
    return Order.objects.filter(
        pk__gt=run.order_floor, shop__in=list(run.shops.values()), created_at__gte=run.start_dt
    )


@dataclass(frozen=True)
class Progress:
    at: float
    pushed: int
    accepted: int
    stored: int
    decided: int
    allocated: int

    @property
    def backlog(self) -> int:
        """Pushes accepted whose order is not yet decided (allocated, held or out of stock)."""
        return max(self.accepted - self.decided, 0)


def progress(run: PeakRun) -> Progress:
    with run.lock:
        pushed = len(run.sent)
        accepted = sum(1 for s in run.sent if s.status == 200)
    orders = _our_orders(run)
    decided = OrderFulfillment.objects.filter(order__in=orders).exclude(state=FulfillmentState.PENDING)
    return Progress(
        at=time.time(),
        pushed=pushed,
        accepted=accepted,
        stored=orders.count(),
        decided=decided.count(),
        allocated=decided.filter(state=FulfillmentState.ALLOCATED).count(),
    )


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def figures(run: PeakRun, samples: list[Progress], drained_at: float | None, workers: dict) -> dict:
    acks = [s.seconds * 1000 for s in run.sent if s.status == 200]
    refused = Counter(s.status for s in run.sent if s.status != 200)
    sent_by_id = {(s.platform, s.order_id): s.sent_at for s in run.sent}
    first_allocation = (
        Allocation.objects.filter(line__order__in=_our_orders(run))
        .values_list("line__order__shop__platform", "line__order__platform_order_id")
        .annotate(first=Min("created_at"))
    )
    sent_and_latency = []
    for platform, order_id, first in first_allocation:
        sent_at = sent_by_id.get((platform, order_id))
        if sent_at is not None:
            sent_and_latency.append((sent_at, first.timestamp() - sent_at))
    latencies = [latency for _sent_at, latency in sent_and_latency]
    # Per minute of the run: pushes sent, orders stored, orders decided; the latencies of what was sent.
    start = run.started_at
    minutes = max(math.ceil((max(drained_at or 0, run.pushing_ended_at) - start) / 60), 1)
    per_minute = [{"minute": m + 1, "pushed": 0, "stored": 0, "decided": 0} for m in range(minutes + 1)]

    def bucket(ts: float) -> int:
        return min(max(int((ts - start) // 60), 0), minutes)

    for s in run.sent:
        per_minute[bucket(s.sent_at)]["pushed"] += 1
    for created in _our_orders(run).values_list("created_at", flat=True).iterator():
        per_minute[bucket(created.timestamp())]["stored"] += 1
    decided_at = (
        OrderFulfillment.objects.filter(order__in=_our_orders(run), decided_at__isnull=False)
        .values_list("decided_at", flat=True)
        .iterator()
    )
    for at in decided_at:
        per_minute[bucket(at.timestamp())]["decided"] += 1
    acks_by_minute, allocated_by_minute = defaultdict(list), defaultdict(list)
    for s in run.sent:
        if s.status == 200:
            acks_by_minute[bucket(s.sent_at)].append(s.seconds * 1000)
    for sent_at, latency in sent_and_latency:
        allocated_by_minute[bucket(sent_at)].append(latency)
    for index, row in enumerate(per_minute):
        row["ack_p99_ms"] = round(percentile(acks_by_minute[index], 99) or 0, 1)
        row["paid_to_allocated_p95_s"] = round(percentile(allocated_by_minute[index], 95) or 0, 2)
    while len(per_minute) > 1 and not any(per_minute[-1][k] for k in ("pushed", "stored", "decided")):
        per_minute.pop()
    last = samples[-1] if samples else progress(run)
    p95 = percentile(latencies, 95)
    return {
        "rate_per_s": run.rate,
        "seconds": run.seconds,
        "platforms": sorted(run.shops),
        "pushed": len(run.sent),
        "accepted": len(acks),
        "refused": {str(k): v for k, v in refused.items()},
        "stored": last.stored,
        "decided": last.decided,
        "allocated": last.allocated,
        "held_or_other": last.decided - last.allocated,
        "achieved_push_rate_per_s": round(
            len(run.sent) / max(run.pushing_ended_at - run.started_at, 1e-6), 1
        ),
        "ack_p50_ms": round(percentile(acks, 50) or 0, 2),
        "ack_p99_ms": round(percentile(acks, 99) or 0, 2),
        "paid_to_allocated_p50_s": round(percentile(latencies, 50) or 0, 3),
        "paid_to_allocated_p95_s": round(p95, 3) if p95 is not None else None,
        "max_backlog": max((s.backlog for s in samples), default=0),
        "backlog_at_end_of_pushing": next(
            (s.backlog for s in samples if s.at >= run.pushing_ended_at), last.backlog
        ),
        "drain_seconds_after_end": round(drained_at - run.pushing_ended_at, 1) if drained_at else None,
        "per_minute": per_minute,
        "database": connection.vendor,
        **workers,
    }


def verdict(f: dict) -> list[tuple[str, bool]]:
    p95 = f["paid_to_allocated_p95_s"]
    drain = f["drain_seconds_after_end"]
    return [
        (f"every push accepted ({f['accepted']}/{f['pushed']})", f["accepted"] == f["pushed"] > 0),
        (
            f"pushes sent at the asked rate "
            f"(achieved {f['achieved_push_rate_per_s']}/s of {f['rate_per_s']:g}/s)",
            f["achieved_push_rate_per_s"] >= 0.95 * f["rate_per_s"],
        ),
        (f"ack p99 {f['ack_p99_ms']} ms < {TARGET_ACK_P99_MS} ms", f["ack_p99_ms"] < TARGET_ACK_P99_MS),
        (
            f"paid → allocated p95 {p95} s < {TARGET_PAID_TO_ALLOCATED_P95_S:g} s",
            p95 is not None and p95 < TARGET_PAID_TO_ALLOCATED_P95_S,
        ),
        (
            f"backlog drained {drain} s after the end (target ≤ {TARGET_DRAIN_SECONDS} s)",
            drain is not None and drain <= TARGET_DRAIN_SECONDS,
        ),
    ]


def report_lines(f: dict) -> list[str]:
    lines = [
        f"simulate_peak: {f['rate_per_s']:g} orders/s for {f['seconds']:g} s on {f['database']} "
        f"({f.get('broker', '?')} broker, {f.get('cluster_processes', '?')} qcluster processes × "
        f"{f.get('workers_per_cluster', '?')} workers), platforms {', '.join(f['platforms'])}",
        "minute  pushed  stored  decided  ack p99 ms  paid→allocated p95 s",
    ]
    for row in f["per_minute"]:
        lines.append(
            f"{row['minute']:>6}  {row['pushed']:>6}  {row['stored']:>6}  {row['decided']:>7}  "
            f"{row['ack_p99_ms']:>10}  {row['paid_to_allocated_p95_s']:>20}"
        )
    lines += [
        f"orders: pushed {f['pushed']}, accepted {f['accepted']}, stored {f['stored']}, "
        f"decided {f['decided']} "
        f"(allocated {f['allocated']}, held or other {f['held_or_other']})",
        f"ack latency: p50 {f['ack_p50_ms']} ms, p99 {f['ack_p99_ms']} ms",
        f"paid → allocated: p50 {f['paid_to_allocated_p50_s']} s, p95 {f['paid_to_allocated_p95_s']} s",
        f"backlog: max {f['max_backlog']}, at end of pushing {f['backlog_at_end_of_pushing']}, "
        f"drained {f['drain_seconds_after_end']} s after the end",
    ]
    checks = verdict(f)
    for text, ok in checks:
        lines.append(f"  [{'ok' if ok else 'MISSED'}] {text}")
    lines.append("verdict: " + ("keeps up" if all(ok for _t, ok in checks) else "does NOT keep up"))
    lines.append(json.dumps(f, sort_keys=True, ensure_ascii=False))
    return lines


def wait_drained(
    run: PeakRun, *, timeout: float, every: float, say: Callable[[str], None], samples: list[Progress]
) -> float | None:
    deadline = time.monotonic() + timeout
    moved_at, last_done = time.monotonic(), None
    while time.monotonic() < deadline:
        sample = progress(run)
        samples.append(sample)
        say(progress_line(run, sample))
        if sample.backlog == 0 and sample.stored >= sample.accepted:
            return sample.at
        if (sample.stored, sample.decided) != last_done:
            moved_at, last_done = time.monotonic(), (sample.stored, sample.decided)
        elif time.monotonic() - moved_at > STALL_SECONDS:
            say(f"no progress for {STALL_SECONDS} s; the last task failure: {last_failure()}")
            return None
        time.sleep(every)
    return None


def last_failure() -> str:
    from django_q.models import Failure

    failure = Failure.objects.order_by("-stopped").first()
    if failure is None:
        return "none recorded"
    return f"{failure.func}: {(failure.result or '')[:300]}"


def progress_line(run: PeakRun, p: Progress) -> str:
    elapsed = p.at - run.started_at
    return (
        f"[{elapsed:6.1f} s] pushed {p.pushed}, accepted {p.accepted}, stored {p.stored}, "
        f"decided {p.decided} (allocated {p.allocated}), backlog {p.backlog}"
    )
