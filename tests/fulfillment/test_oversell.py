"""No oversell under a real race: 16 threads, each with its own PostgreSQL session, decide 200 paid
one-unit orders (the real paid → allocated path, in batches of one to three orders) against 50 units
spread over two warehouses. Exactly 50 are allocated, the other 150 are held as out of stock, no stock
row ever shows more allocated than on hand, and nobody deadlocks. Three rounds."""

import random
import threading
from itertools import islice

import pytest
from django.db import connection

from fulfillment.models import Allocation, Stock
from fulfillment.models_decisions import FulfillmentState
from fulfillment.services.decide import orders_process
from orderhub.events import Actor
from orderhub.models import Hold
from orderhub.services.upsert import orders_upsert
from tests.factories import line, make_shop, make_sku, normalized
from tests.fulfillment.conftest import make_stock, make_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
ORDERS = 200
UNITS = {"east": 30, "north": 20}
JOIN_TIMEOUT_SECONDS = 120
ACTOR = Actor.system("oversell test")
STATES = {FulfillmentState.ALLOCATED: "allocated", FulfillmentState.OUT_OF_STOCK: "out of stock"}


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
    # Distinct buyers: 200 orders from one phone would be held as a risk before stock is looked at.
    items = [
        (normalized(f"R{n}-{i:03d}", lines=[line(outer=sku.code)], phone=f"139{n:02d}{i:06d}"), {})
        for i in range(ORDERS)
    ]
    settings.DOMAIN_EVENT_SUBSCRIBERS = {}  # nothing else may act on these orders meanwhile
    order_ids = [outcome.order_id for outcome in orders_upsert(shop=shop, items=items, actor=ACTOR)]

    # When 16 threads race to allocate them
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []
    next_order = iter(order_ids)
    queue_lock = threading.Lock()
    racing = threading.Event()
    racing.set()
    samples: list[tuple[int, int]] = []

    def decide(batch: list[int]) -> None:
        records = orders_process(order_ids=batch, actor=ACTOR)
        for order_id in batch:
            outcomes[order_id] = STATES[records[order_id].state]

    def worker():
        try:
            while True:
                with queue_lock:
                    batch = list(islice(next_order, random.randint(1, 3)))
                if not batch:
                    return
                decide(batch)
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
