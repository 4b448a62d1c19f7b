"""No oversell under a real race: 16 threads, each with its own PostgreSQL session, allocate 200 one-unit
orders against 50 units spread over two warehouses. Exactly 50 are allocated, the other 150 are held as
out of stock, no stock row ever shows more allocated than on hand, and nobody deadlocks. Three rounds."""

import random
import threading

import pytest
from django.db import connection, transaction

from fulfillment.exceptions import InsufficientStock
from fulfillment.models import Allocation, Stock
from fulfillment.selectors import available_stock
from fulfillment.services.stock import AllocationRequest, stock_allocate
from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.models import Hold, OrderLine
from orderhub.services.holds import hold_place
from orderhub.services.upsert import orders_upsert
from orderhub.status import HoldKind
from tests.factories import line, make_shop, make_sku, normalized
from tests.fulfillment.conftest import make_stock, make_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
ORDERS = 200
UNITS = {"east": 30, "north": 20}
JOIN_TIMEOUT_SECONDS = 120
ACTOR = Actor.system("oversell test")


@pytest.fixture
def sessions_for_every_thread():
    """The project's pool (8 connections) would let only 8 threads into the database at once."""
    options = connection.settings_dict["OPTIONS"]
    original = options.get("pool")
    connection.close()
    connection.close_pool()
    options["pool"] = {**(original or {}), "min_size": 1, "max_size": THREADS + 4, "timeout": 30}
    yield
    connection.close()
    connection.close_pool()
    options["pool"] = original


def race_round(n: int, settings) -> dict:
    # Given one SKU with 30 units in the east warehouse and 20 in the north, and 200 paid one-unit orders
    sku = make_sku(code=f"HOT-{n}")
    warehouses = {name: make_warehouse(f"{name}-{n}") for name in UNITS}
    stocks = [make_stock(warehouses[name], sku, on_hand=units) for name, units in UNITS.items()]
    shop = make_shop()
    items = [(normalized(f"R{n}-{i:03d}", lines=[line(outer=sku.code)]), {}) for i in range(ORDERS)]
    settings.DOMAIN_EVENT_SUBSCRIBERS = {}  # nothing else may act on these orders meanwhile
    order_ids = [outcome.order_id for outcome in orders_upsert(shop=shop, items=items, actor=ACTOR)]
    lines = dict(OrderLine.objects.filter(order_id__in=order_ids).values_list("order_id", "pk"))
    warehouse_ids = [w.pk for w in warehouses.values()]

    # When 16 threads race to allocate them
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []
    next_order = iter(order_ids)
    queue_lock = threading.Lock()
    racing = threading.Event()
    racing.set()
    samples: list[tuple[int, int]] = []

    def allocate(order_id: int) -> str:
        levels = available_stock([sku.pk])
        open_ = [w for w in warehouse_ids if (w, sku.pk) in levels and levels[(w, sku.pk)].available > 0]
        if open_:
            first = random.choice(open_)  # spread the race over both warehouses
            other = next(w for w in warehouse_ids if w != first)
            for warehouse_id in (first, other):
                request = AllocationRequest(lines[order_id], sku.pk, warehouse_id, 1)
                try:
                    stock_allocate(order_id=order_id, requests=[request], actor=ACTOR)
                    return "allocated"
                except InsufficientStock:
                    continue
        with transaction.atomic():
            hold_place(
                order=lock_order(order_id), kind=HoldKind.OUT_OF_STOCK, reason="out of stock", actor=ACTOR
            )
        return "out of stock"

    def worker():
        try:
            while True:
                with queue_lock:
                    order_id = next(next_order, None)
                if order_id is None:
                    return
                outcomes[order_id] = allocate(order_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def watcher():
        """Reads the stock rows all through the race: allocated must never pass on hand."""
        try:
            while racing.is_set():
                samples.extend(Stock.objects.filter(sku=sku).values_list("on_hand", "allocated"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"racer-{i}") for i in range(THREADS)]
    watch = threading.Thread(target=watcher, name="watcher")
    watch.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    racing.clear()
    watch.join(JOIN_TIMEOUT_SECONDS)

    # Then nobody hung or failed, and the stock adds up exactly
    assert not [t.name for t in [*threads, watch] if t.is_alive()], "a thread hung (deadlock?)"
    assert errors == []
    for stock in stocks:
        stock.refresh_from_db()
    counts = {"allocated": 0, "out of stock": 0}
    for outcome in outcomes.values():
        counts[outcome] += 1
    return {
        "counts": counts,
        "allocated_units": sum(s.allocated for s in stocks),
        "per_stock": [(s.on_hand, s.allocated) for s in stocks],
        "allocation_rows": Allocation.objects.filter(stock__in=stocks, status="active").count(),
        "holds": Hold.objects.filter(order_id__in=order_ids, kind="out_of_stock", status="open").count(),
        "samples": samples,
    }


def test_sixteen_threads_never_oversell_fifty_units(settings, sessions_for_every_thread):
    for n in range(3):
        result = race_round(n, settings)

        assert result["counts"] == {"allocated": 50, "out of stock": 150}, f"round {n}"
        assert result["allocated_units"] == 50 and result["allocation_rows"] == 50
        assert result["per_stock"] == [(30, 30), (20, 20)]  # both warehouses sold out, neither over
        assert result["holds"] == 150
        assert result["samples"], "the watcher saw the race"
        assert all(0 <= allocated <= on_hand for on_hand, allocated in result["samples"])
    assert Allocation.objects.filter(status="active").count() == 150  # 3 rounds × 50
