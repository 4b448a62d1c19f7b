"""The parts of `manage.py bench_allocate`: bench orders and stock, worker threads allocating them, the
report. Paid → allocated is timed per order: warehouse choice from a fresh read plus stock_allocate.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import override_settings

from fulfillment.exceptions import InsufficientStock
from fulfillment.models import Allocation, Stock, Warehouse
from fulfillment.selectors import LineNeed, available_stock, orders_sku_needs
from fulfillment.services.stock import (
    AllocationRequest,
    StockLevelRow,
    stock_allocate,
    stock_allocate_many,
    stock_set_levels,
)
from orderhub.events import Actor
from orderhub.models import Order, Shop, Sku
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver
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


def allocate_order(order_id: int) -> list[Allocation] | None:
    """Paid → allocated for one order by first fit: the first warehouse (by priority) that can serve
    the whole order on a fresh read, again on a fresh read if another worker took the stock meanwhile.
    None when no single warehouse can serve it. The decision service replaces this choice later."""
    needs = orders_sku_needs([order_id]).get(order_id)
    if not needs:
        return None
    for _attempt in range(2):
        plan = _first_fit_plan({order_id: needs})
        if order_id not in plan:
            return None
        try:
            return stock_allocate(order_id=order_id, requests=plan[order_id], actor=ACTOR)
        except InsufficientStock:
            continue
    return None


def allocate_orders(order_ids: list[int]) -> int:
    """The same for a batch in one transaction; an order another worker left short since the read
    tries once more on its own. Returns how many orders were allocated."""
    outcomes = stock_allocate_many(orders=_first_fit_plan(orders_sku_needs(order_ids)), actor=ACTOR)
    allocated = sum(1 for outcome in outcomes.values() if isinstance(outcome, list))
    for order_id, outcome in outcomes.items():
        if isinstance(outcome, InsufficientStock) and allocate_order(order_id):
            allocated += 1
    return allocated


def _first_fit_plan(needs: dict[int, list[LineNeed]]) -> dict[int, list[AllocationRequest]]:
    """Each order, in turn, from the first warehouse that still has all of it after the orders before."""
    levels = available_stock({need.sku_id for order_needs in needs.values() for need in order_needs})
    remaining = {key: level.available for key, level in levels.items()}
    warehouses = [w for _priority, w in sorted({(lv.warehouse_priority, w) for (w, _), lv in levels.items()})]
    plan = {}
    for order_id, order_needs in needs.items():
        wanted = Counter()
        for need in order_needs:
            wanted[need.sku_id] += need.quantity
        for warehouse_id in warehouses:
            if all(remaining.get((warehouse_id, sku), 0) >= quantity for sku, quantity in wanted.items()):
                for sku, quantity in wanted.items():
                    remaining[(warehouse_id, sku)] -= quantity
                plan[order_id] = [
                    AllocationRequest(n.line_id, n.sku_id, warehouse_id, n.quantity) for n in order_needs
                ]
                break
    return plan


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
    return [outcome.order_id for outcome in outcomes]


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
        receiver=NormalizedReceiver("bench", "13800000000", "上海市", "上海市", "浦东新区", "bench"),
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


def bench_run(order_ids: list[int], *, workers: int, batch_size: int = 1) -> dict:
    """`workers` threads allocate the orders flat out, `batch_size` orders per transaction (1: one
    allocate_order call per order). An order's latency runs from its batch starting to the commit."""
    batches = [order_ids[start : start + batch_size] for start in range(0, len(order_ids), batch_size)]
    latencies: list[float] = []
    allocated: list[int] = []
    errors: list[BaseException] = []
    next_batch = iter(batches)
    handing_out = threading.Lock()

    def work():
        try:
            while True:
                with handing_out:
                    batch = next(next_batch, None)
                if batch is None:
                    return
                started = time.perf_counter()
                done = allocate_orders(batch) if batch_size > 1 else int(bool(allocate_order(batch[0])))
                latencies.extend([time.perf_counter() - started] * len(batch))
                allocated.append(done)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; give it back

    threads = [threading.Thread(target=work, name=f"bench-allocate-{n}") for n in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = max(time.perf_counter() - started, 1e-6)
    if errors:
        raise BenchError(f"a worker failed: {errors[0]!r}") from errors[0]
    if sum(allocated) != len(order_ids):
        raise BenchError(
            f"{len(order_ids) - sum(allocated)} orders were not allocated; the bench stock ran short"
        )
    latencies.sort()
    return {
        "orders": len(order_ids),
        "orders_per_s": round(len(order_ids) / seconds, 1),
        "seconds": round(seconds, 3),
        "p50_ms": _percentile_ms(latencies, 50),
        "p95_ms": _percentile_ms(latencies, 95),
        "p99_ms": _percentile_ms(latencies, 99),
        "workers": workers,
        "batch_size": batch_size,
        "database": connection.vendor,
    }


def _percentile_ms(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    return round(ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] * 1000, 2)


def bench_report(figures: dict) -> list[str]:
    """The summary for people, then the same figures as one JSON object on the last line."""
    rate_ok = figures["orders_per_s"] >= TARGET_ORDERS_PER_S
    p95_ok = figures["p95_ms"] < TARGET_P95_MS
    return [
        f"bench_allocate: {figures['orders']} paid orders on {figures['database']}, "
        f"{figures['workers']} worker threads, {figures['batch_size']} orders per transaction",
        f"paid → allocated: {figures['orders_per_s']:.0f} orders/s ({figures['seconds']:.2f} s)",
        f"latency per order: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
        f"p99 {figures['p99_ms']} ms",
        f"targets: >= {TARGET_ORDERS_PER_S} orders/s {'met' if rate_ok else 'NOT met'}; "
        f"p95 < {TARGET_P95_MS} ms {'met' if p95_ok else 'NOT met'}",
        json.dumps({key: figures[key] for key in JSON_KEYS}),
    ]
