"""The parts of `manage.py bench_allocate`: bench orders and stock, worker processes deciding them, the
report. Paid → allocated is the real decision path (fulfillment.services.decide.orders_process): holds,
gift, warehouse, carrier and the stock allocation, timed per order from its batch's start to the commit.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import time
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection, connections
from django.test.utils import override_settings

from fulfillment.address import address_library_load
from fulfillment.models import Allocation, Stock, Warehouse
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.services.decide import orders_process
from fulfillment.services.stock import StockLevelRow, stock_set_levels
from orderhub.events import Actor
from orderhub.models import Hold, Order, OrderEvent, OrderLine, OrderLineSku, Shop, Sku
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver
from orderhub.planner_stats import tables_analyze
from orderhub.services.upsert import orders_upsert

BENCH_CODE = "bench-allocate"
BENCH_WAREHOUSES = ("bench-alloc-east", "bench-alloc-north")
BENCH_SKUS = tuple(f"BENCH-ALLOC-{n}" for n in range(1, 6))
TARGET_ORDERS_PER_S = 500
TARGET_P95_MS = 100
ACTOR = Actor.system("bench_allocate")
JSON_KEYS = ("orders", "orders_per_s", "p50_ms", "p95_ms", "p99_ms", "workers", "batch_size", "database")


class BenchError(Exception):
    """The bench cannot run or did not complete; the message says why."""


def decide_orders(order_ids: list[int]) -> int:
    """The real paid → allocated path for a batch (holds, gift, warehouse, carrier, allocation in one
    transaction); how many orders ended allocated."""
    records = orders_process(order_ids=order_ids, actor=ACTOR)
    return sum(1 for record in records.values() if record and record.state == FulfillmentState.ALLOCATED)


def bench_data_create(orders: int, *, seed: int = 2026) -> list[int]:
    """A bench shop, two warehouses and five SKUs with stock for every order, and `orders` paid orders
    of 1-3 lines created through the real upsert (lines mapped to the SKUs by their codes)."""
    bench_data_delete()
    shop = Shop.objects.create(
        platform="manual", code=BENCH_CODE, name="bench_allocate", platform_shop_id=BENCH_CODE
    )
    warehouses = [
        Warehouse.objects.create(code=code, name=code, province="上海市", city="上海市", priority=rank)
        for rank, code in enumerate(BENCH_WAREHOUSES, 1)
    ]
    skus = [Sku.objects.create(code=code, name=code, price=Decimal("10.00")) for code in BENCH_SKUS]
    # Enough in each warehouse for every order (at most 3 units of a SKU each): the bench measures
    # allocation, not shortage.
    stock_set_levels(
        [StockLevelRow(w.pk, s.pk, on_hand=orders * 3) for w in warehouses for s in skus],
        source="count",
        reason="bench_allocate",
    )
    rng = random.Random(seed)
    now = datetime.now(tz=UTC)
    items = [(_bench_order(n, rng, now), {}) for n in range(orders)]
    # The bench times allocation alone: subscribers of "order.paid" (a worker processing orders) must
    # not race it for the same orders.
    with override_settings(DOMAIN_EVENT_SUBSCRIBERS={}):
        outcomes = []
        for start in range(0, len(items), 500):
            outcomes += orders_upsert(shop=shop, items=items[start : start + 500], actor=ACTOR)
    _analyze()
    return [outcome.order_id for outcome in outcomes]


def _analyze() -> None:
    """Vacuumed tables with fresh planner statistics, as autovacuum keeps them in production (earlier
    runs' deleted rows, and this test machine runs without autovacuum)."""
    tables_analyze(
        (Order, OrderLine, OrderLineSku, Stock, Allocation, OrderFulfillment, Hold, OrderEvent), vacuum=True
    )


def _bench_order(n: int, rng: random.Random, now: datetime) -> NormalizedOrder:
    price = Decimal("10.00")
    quantities = [(code, rng.randint(1, 3)) for code in rng.sample(BENCH_SKUS, rng.randint(1, 3))]
    lines = tuple(NormalizedLine("", code, code, q, price, price * q) for code, q in quantities)
    amount = sum((line.paid_amount for line in lines), Decimal("0"))
    return NormalizedOrder(
        platform="manual",
        platform_order_id=f"BA{n:07d}",
        status="paid",
        raw_status="paid",
        currency="CNY",
        goods_amount=amount,
        shipping_fee=Decimal("0"),
        discount=Decimal("0"),
        paid_amount=amount,
        created_at=now,
        paid_at=now,
        updated_at=now,
        # One phone per order: hundreds from one phone would be held as a risk.
        receiver=NormalizedReceiver(
            "bench", f"138{n:08d}", "上海市", "上海市", "浦东新区", "世纪大道 100 号"
        ),
        lines=lines,
    )


def bench_data_delete() -> None:
    """Removes everything the bench made, leftovers of an interrupted run included."""
    Allocation.objects.filter(stock__warehouse__code__in=BENCH_WAREHOUSES).delete()
    Order.objects.filter(shop__code=BENCH_CODE).delete()
    Stock.objects.filter(warehouse__code__in=BENCH_WAREHOUSES).delete()
    Warehouse.objects.filter(code__in=BENCH_WAREHOUSES).delete()
    Sku.objects.filter(code__in=BENCH_SKUS).delete()
    Shop.objects.filter(code=BENCH_CODE).delete()


def bench_run(
    order_ids: list[int], *, workers: int, batch_size: int = 1, warm_up_ids: list[int] = ()
) -> dict:
    """`workers` processes (one, in this process, when 1) decide the orders flat out, `batch_size`
    orders per transaction. Processes, not threads: the rules are Python and would share one core.
    Each worker first decides its share of `warm_up_ids`, untimed: a running worker is warm (modules,
    connection, compiled queries), and the first batch of a cold one would stand for the service."""
    batches = [order_ids[start : start + batch_size] for start in range(0, len(order_ids), batch_size)]
    warm_up = [list(warm_up_ids)[n::workers] for n in range(workers)]
    # A running worker has the address table loaded; the bench's processes inherit it from here.
    address_library_load()
    if workers == 1:
        _decide_batches([warm_up[0]] if warm_up[0] else [])
        started = time.perf_counter()
        results = _decide_batches(batches)
        seconds = time.perf_counter() - started
    else:
        results, seconds = _in_processes(batches, warm_up)
    latencies = sorted(latency for latency, size, _ in results for _ in range(size))
    allocated = sum(done for _, _, done in results)
    if allocated != len(order_ids):
        raise BenchError(
            f"{len(order_ids) - allocated} orders were not allocated (held or short of stock); "
            "the bench data should let every order through"
        )
    seconds = max(seconds, 1e-6)
    return {
        "orders": len(order_ids),
        "orders_per_s": round(len(order_ids) / seconds, 1),
        "seconds": round(seconds, 3),
        "p50_ms": _percentile_ms(latencies, 50),
        "p95_ms": _percentile_ms(latencies, 95),
        "p99_ms": _percentile_ms(latencies, 99),
        "workers": len(warm_up),
        "batch_size": batch_size,
        "database": connection.vendor,
    }


def _decide_batches(batches) -> list[tuple[float, int, int]]:
    """(seconds, orders, allocated) per batch taken from `batches`."""
    results = []
    for batch in batches:
        started = time.perf_counter()
        done = decide_orders(batch)
        results.append((time.perf_counter() - started, len(batch), done))
    return results


def _in_processes(batches: list[list[int]], warm_up: list[list[int]]) -> tuple[list, float]:
    """Forked workers warm up, wait for the start together, then take batches until none is left."""
    context = multiprocessing.get_context("fork")
    todo, ready, done, go = context.Queue(), context.Queue(), context.Queue(), context.Event()
    for batch in batches:
        todo.put(batch)
    for _ in warm_up:
        todo.put(None)
    # A forked child must open its own database connections, never share the parent's.
    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    processes = [context.Process(target=_process_main, args=(own, todo, ready, done, go)) for own in warm_up]
    for process in processes:
        process.start()
    failures = [failure for failure in (ready.get() for _ in processes) if failure]
    started = time.perf_counter()
    go.set()
    outcomes = [] if failures else [done.get() for _ in processes]
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    failures += [outcome for outcome in outcomes if isinstance(outcome, str)]
    if failures:
        raise BenchError(f"a worker failed: {failures[0]}")
    return [result for outcome in outcomes for result in outcome], seconds


def _process_main(warm_up: list[int], todo, ready, done, go) -> None:
    try:
        try:
            _decide_batches([warm_up] if warm_up else [])
        except Exception as exc:
            ready.put(repr(exc))
            return
        ready.put(None)
        go.wait()
        try:
            done.put(_decide_batches(iter(todo.get, None)))
        except Exception as exc:
            done.put(repr(exc))
    finally:
        connection.close()


def _percentile_ms(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    return round(ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] * 1000, 2)


def bench_report(figures: dict) -> list[str]:
    """The summary for people, then the same figures as one JSON object on the last line."""
    rate_ok = figures["orders_per_s"] >= TARGET_ORDERS_PER_S
    p95_ok = figures["p95_ms"] < TARGET_P95_MS
    return [
        f"bench_allocate: {figures['orders']} paid orders on {figures['database']}, "
        f"{figures['workers']} worker processes, {figures['batch_size']} orders per transaction",
        f"paid → allocated: {figures['orders_per_s']:.0f} orders/s ({figures['seconds']:.2f} s)",
        f"latency per order: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
        f"p99 {figures['p99_ms']} ms",
        f"targets: >= {TARGET_ORDERS_PER_S} orders/s {'met' if rate_ok else 'NOT met'}; "
        f"p95 < {TARGET_P95_MS} ms {'met' if p95_ok else 'NOT met'}",
        json.dumps({key: figures[key] for key in JSON_KEYS}),
    ]
