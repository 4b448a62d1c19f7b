"""The fulfillment cycle: per order from events, per warehouse / channel and day the median and p90 of
paid → collected (the selector the dashboard calls)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from fulfillment.models_warehouse import Parcel
from fulfillment.selectors_cycle import cycle_stats, median, percentile
from fulfillment.services.cycle import parcel_cycle_rebuild
from orderhub.events import Actor, record
from tests.factories import make_order, make_shop
from tests.fulfillment.warehouse_fixtures import make_site

pytestmark = pytest.mark.django_db
PAID = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 December in Beijing


def test_percentiles():
    assert median([1, 2, 3, 4]) == 2.5 and median([5]) == 5
    assert percentile(list(range(1, 11)), 90) == 9 and percentile([7], 90) == 7


def test_cycle_stats_by_warehouse_and_channel_per_beijing_day():
    east, south = make_site("EAST"), make_site("SOUTH")
    taobao, jd = make_shop("taobao"), make_shop("jd")
    for n, (warehouse, shop, minutes) in enumerate(
        [(east, taobao, 60), (east, taobao, 120), (east, jd, 180), (east, jd, 600), (south, taobao, 30)]
    ):
        order = make_order(shop, f"C{n}")
        Parcel.objects.create(
            order=order, warehouse=warehouse, paid_at=PAID, collected_at=PAID + timedelta(minutes=minutes)
        )
    not_collected = make_order(taobao, "C-open")
    Parcel.objects.create(order=not_collected, warehouse=east, paid_at=PAID)

    by_warehouse = cycle_stats(PAID - timedelta(days=1), PAID + timedelta(days=1), group_by="warehouse")
    by_channel = cycle_stats(PAID - timedelta(days=1), PAID + timedelta(days=1), group_by="channel")

    day = date(2026, 12, 1)
    assert by_warehouse == [
        {"group": "EAST", "day": day, "orders": 4, "median_minutes": 150.0, "p90_minutes": 600.0},
        {"group": "SOUTH", "day": day, "orders": 1, "median_minutes": 30.0, "p90_minutes": 30.0},
    ]
    assert [(row["group"], row["orders"], row["median_minutes"]) for row in by_channel] == [
        ("jd", 2, 390.0), ("taobao", 3, 60.0),
    ]  # fmt: skip
    assert cycle_stats(PAID + timedelta(hours=1), PAID + timedelta(days=1)) == []
    with pytest.raises(ValueError):
        cycle_stats(PAID, PAID, group_by="shop")


def test_cycle_rebuilt_from_events():
    order = make_order(make_shop(), "R1")
    actor = Actor.system("test")
    for type_ in ("stock_allocated", "picked", "packed", "shipped"):
        record(order, type_, actor)
    record(order, "tracking_collected", actor, number="YT1", at="2026-12-01T03:00:00+00:00")

    parcel = parcel_cycle_rebuild(order_id=order.pk)

    assert parcel.paid_at == order.platform_paid_at
    assert parcel.allocated_at <= parcel.picked_at <= parcel.packed_at <= parcel.shipped_at
    assert parcel.collected_at == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert parcel.delivered_at is None
