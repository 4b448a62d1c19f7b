"""Dashboard figures: cycle compression, the health index parts, the page itself (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orderhub.dashboard import selectors
from tests.factories import make_order, make_shop, make_user

pytestmark = pytest.mark.django_db


def _parcel(order, *, paid, hours, warehouse=None):
    from fulfillment.models_warehouse import Parcel

    return Parcel.objects.create(
        order=order, warehouse=warehouse, paid_at=paid, collected_at=paid + timedelta(hours=hours)
    )


def test_compression_ratio_against_a_baseline():
    shop = make_shop()
    now = timezone.now()
    for hours in (10, 12, 14):
        _parcel(make_order(shop), paid=now - timedelta(days=20), hours=hours)
    for hours in (6, 9):
        _parcel(make_order(shop), paid=now - timedelta(days=1), hours=hours)
    today = selectors.local_date(now)
    result = selectors.compression_ratio(
        baseline=(today - timedelta(days=25), today - timedelta(days=15)),
        current=(today - timedelta(days=6), today),
    )
    assert result == {"baseline_hours": 12.0, "current_hours": 7.5, "ratio": 0.375}
    empty = selectors.compression_ratio(
        baseline=(today - timedelta(days=90), today - timedelta(days=80)), current=(today, today)
    )
    assert empty["ratio"] is None


def test_cycle_median_and_p90_per_channel():
    shop = make_shop(platform="jd")
    now = timezone.now()
    for hours in range(1, 11):
        _parcel(make_order(shop), paid=now - timedelta(hours=30), hours=hours)
    cycle = selectors.fulfillment_cycle(start=now - timedelta(days=3), end=now + timedelta(hours=1))
    (row,) = cycle["by_channel"]
    assert (row.group, row.orders, row.median_hours, row.p90_hours) == ("jd", 10, 5.5, 9.0)


def test_health_index_parts(settings):
    from orderhub.events import Actor
    from orderhub.services.holds import hold_place

    settings.HEALTH_INDEX_WEIGHTS = {
        "timeliness": 0,
        "completeness": 0,
        "consistency": 1,
        "accuracy": 0,
        "controllability": 1,
    }
    shop = make_shop()
    orders = [make_order(shop) for _ in range(4)]
    hold_place(
        order=orders[0], kind="status_conflict", reason="platform says shipped", actor=Actor.system("t")
    )
    now = timezone.now()
    rows = selectors.health_index(start=now - timedelta(hours=1), end=now + timedelta(hours=1), by="shop")
    (row,) = rows
    assert row.orders == 4
    assert row.parts["consistency"] == 75.0
    assert row.parts["completeness"] == 100.0
    # weights are data: only consistency and controllability count here
    assert row.index == pytest.approx((row.parts["consistency"] + row.parts["controllability"]) / 2, abs=0.1)
    # platform modified at T0 (2026-11-11), received now: long sync delay → timeliness 0
    assert row.parts["timeliness"] == 0.0


def test_dashboard_page_for_each_role_and_bad_input(client):
    from django.apps import apps

    from orderhub.roles import CUSTOMER_SERVICE, FINANCE, WAREHOUSE, roles_sync

    roles_sync(apps)
    make_order(make_shop())
    for role in (CUSTOMER_SERVICE, WAREHOUSE, FINANCE):
        client.force_login(make_user(f"u-{role[:2]}", groups=[role]))
        response = client.get("/dashboard/")
        assert response.status_code == 200, role
        assert b"chart-health" in response.content
        assert b'href="/dashboard/"' in client.get("/").content  # the console home leads there
    assert client.get("/dashboard/?days=0").status_code == 400
    assert client.get("/dashboard/?baseline_from=2026-01-02").status_code == 400
    client.force_login(make_user("nobody"))
    assert client.get("/dashboard/").status_code == 403
