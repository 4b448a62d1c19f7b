"""bench_allocate's measurement on a tiny scale. Not a timed test: it checks the bench allocates every
order, reports its figures as JSON on the last line, and leaves nothing behind."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from fulfillment.models import Allocation, Stock, StockAdjustment, Warehouse
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.services.bench import (
    BENCH_CODE,
    bench_data_create,
    bench_data_delete,
    bench_report,
    bench_run,
)
from fulfillment.services.stock import stock_adjust
from orderhub.models import Order, OrderEvent, OrderLine, Shop, Sku

pytestmark = pytest.mark.django_db(transaction=True)
FIGURES = {"orders", "orders_per_s", "p50_ms", "p95_ms", "p99_ms", "workers", "batch_size", "database"}
# In this process the bench decides in-process; the forked workers run in a process of their own below
# (forking a test process that has used connection pools would hand the children its sockets).
WORKERS = 1
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("batch_size", [1, 5])
def test_the_bench_allocates_every_order_and_ends_with_its_figures_as_json(batch_size):
    # Given 12 paid bench orders of 1-3 lines
    order_ids = bench_data_create(12)
    assert Order.objects.filter(shop__code=BENCH_CODE, status="paid").count() == 12

    # When the bench allocates them, one order or five per transaction
    figures = bench_run(order_ids, workers=WORKERS, batch_size=batch_size)
    lines = bench_report(figures)

    # Then every order holds its units, and the last line is the figures as JSON
    needed = sum(OrderLine.objects.filter(order_id__in=order_ids).values_list("quantity", flat=True))
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == needed
    assert sum(Stock.objects.values_list("allocated", flat=True)) == needed
    last = json.loads(lines[-1])
    assert set(last) == FIGURES
    assert (last["orders"], last["workers"], last["batch_size"]) == (12, WORKERS, batch_size)
    assert last["database"] == connection.vendor
    assert last["orders_per_s"] > 0 and 0 < last["p50_ms"] <= last["p95_ms"] <= last["p99_ms"]
    assert any("orders/s" in line for line in lines[:-1])  # the summary for people comes first


def test_the_bench_runs_the_real_decisions_and_routes_around_an_empty_warehouse():
    order_ids = bench_data_create(1)
    first, second = Warehouse.objects.filter(code__startswith="bench-alloc").order_by("priority")
    # Empty the first warehouse's stock of every SKU by adjustment: the order must go to the second
    for stock in Stock.objects.filter(warehouse=first):
        stock_adjust(stock_id=stock.pk, delta=-stock.on_hand, reason="test: empty the first warehouse")

    bench_run(order_ids, workers=1)

    record = OrderFulfillment.objects.get(order_id=order_ids[0])
    assert record.state == FulfillmentState.ALLOCATED and record.warehouse_id == second.pk
    assert {a.stock.warehouse_id for a in Allocation.objects.all()} == {second.pk}
    kinds = set(
        OrderEvent.objects.filter(order_id=order_ids[0], type="decision").values_list(
            "parameters__kind", flat=True
        )
    )
    assert {"hold", "warehouse", "carrier"} <= kinds  # every decision recorded, as in production


def test_the_command_cleans_up_after_itself():
    out = io.StringIO()

    call_command("bench_allocate", orders=5, workers=1, allow_sqlite=True, stdout=out)

    assert json.loads(out.getvalue().strip().splitlines()[-1])["orders"] == 5
    assert not Shop.objects.filter(code=BENCH_CODE).exists()
    assert not Order.objects.exists() and not Allocation.objects.exists()
    assert not Stock.objects.exists() and not StockAdjustment.objects.exists()
    assert not Sku.objects.filter(code__startswith="BENCH-ALLOC").exists()


def test_cleanup_also_removes_leftovers_of_an_interrupted_run():
    bench_run(bench_data_create(3), workers=1)

    bench_data_delete()

    assert not Order.objects.exists() and not Warehouse.objects.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"orders": 0}, "--orders must be at least 1"),
        ({"workers": 0}, "--workers must be at least 1"),
        ({"batch_size": 0}, "--batch-size must be at least 1"),
    ],
)
def test_bad_options_are_refused_with_a_reason(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench_allocate", allow_sqlite=True, **options)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="checks the refusal on SQLite")
def test_the_command_refuses_sqlite_unless_asked():
    with pytest.raises(CommandError, match="--allow-sqlite"):
        call_command("bench_allocate", orders=3)


@pytest.mark.postgres
def test_the_command_decides_with_two_worker_processes_on_postgresql():
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": url}
    env.pop("REDIS_URL", None)

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_allocate",
            "--orders",
            "40",
            "--workers",
            "2",
            "--batch-size",
            "5",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert (figures["orders"], figures["workers"], figures["batch_size"]) == (40, 2, 5)
    assert figures["database"] == "postgresql" and figures["orders_per_s"] > 0
    assert not Order.objects.exists() and not Stock.objects.exists()  # it cleaned up after itself
