"""The operations dashboard in headless Chromium, with the demo data: tiles, charts drawn, health index."""

import statistics
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from orderhub.roles import CUSTOMER_SERVICE

# Counts the canvas pixels that are not transparent: a chart that drew nothing has none.
DRAWN_PIXELS = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return drawn;
}"""


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)
    from fulfillment.models import Warehouse
    from fulfillment.models_warehouse import Parcel
    from orderhub.models import Order
    from orderhub.ops.services.alerts import alert_raise

    # A few parcels collected over the last days, so the fulfillment cycle has points.
    now = timezone.now()
    warehouse = Warehouse.objects.order_by("pk").first()
    used = []
    for n, order in enumerate(Order.objects.filter(status="paid").order_by("pk")[:6]):
        used.append(order.pk)
        paid = now - timedelta(days=n % 3, hours=20)
        Parcel.objects.update_or_create(
            order=order,
            defaults={"warehouse": warehouse, "paid_at": paid, "collected_at": paid + timedelta(hours=6 + n)},
        )
    # A baseline three weeks ago, when the cycle took 12 hours.
    for order in Order.objects.exclude(pk__in=used).order_by("pk")[:4]:
        paid = now - timedelta(days=20)
        Parcel.objects.update_or_create(
            order=order,
            defaults={"warehouse": warehouse, "paid_at": paid, "collected_at": paid + timedelta(hours=12)},
        )
    alert_raise(
        kind="backlog",
        key="all",
        value=327,
        message="当前订单积压量:327单,处理速率:89单/分钟,预计清空时间:14:23",
    )


def test_dashboard_renders_charts_and_health_index(live_server, browser_page_as, demo):
    page = browser_page_as(CUSTOMER_SERVICE)
    page.goto(f"{live_server.url}/dashboard/")
    assert page.locator("h1").inner_text() == "Operations dashboard"
    page.wait_for_function("() => window.orderhubCharts && window.orderhubCharts.health")
    # every chart drew on its canvas
    for canvas in ("chart-orders", "chart-exceptions", "chart-cycle", "chart-health"):
        assert page.evaluate(DRAWN_PIXELS, canvas) > 100, canvas
    # the demo's orders are in the orders-per-hour chart and the open holds in the exception chart
    datasets = page.evaluate("() => window.orderhubCharts.exceptions.data.datasets[0].data")
    assert sum(datasets) >= 1
    # the health index table: one row per day and shop with five parts and an index in 0..100
    rows = page.locator("#health-shops tbody tr")
    assert rows.count() >= 1
    cells = rows.first.locator("td").all_inner_texts()
    assert len(cells) == 9
    values = [float(text) for text in cells[3:]]
    assert all(0 <= value <= 100 for value in values)
    # the tiles: backlog count and clearing time, the alert with its message
    assert int(page.locator("#tile-backlog .big").inner_text()) >= 1
    assert page.locator("#eta").inner_text()
    assert "当前订单积压量:327单" in page.locator("#alerts-table").inner_text()


def test_dashboard_compression_ratio_with_baseline(live_server, browser_page_as, demo):
    page = browser_page_as(CUSTOMER_SERVICE)
    today = timezone.localdate()
    first, last = (today - timedelta(days=25)).isoformat(), (today - timedelta(days=15)).isoformat()
    page.goto(f"{live_server.url}/dashboard/?days=7&baseline_from={first}&baseline_to={last}")
    # expected from the parcels themselves (the demo data may hold parcels of its own)
    from fulfillment.models_warehouse import Parcel
    from orderhub.dashboard.selectors import day_bounds

    def median_hours(first_day, last_day):
        start, end = day_bounds(first_day, last_day)
        rows = Parcel.objects.filter(collected_at__gte=start, collected_at__lt=end, paid_at__isnull=False)
        return statistics.median((p.collected_at - p.paid_at).total_seconds() / 3600 for p in rows)

    base = median_hours(today - timedelta(days=25), today - timedelta(days=15))
    current = median_hours(today - timedelta(days=6), today)
    assert base == 12.0 and current < base
    assert page.locator("#compression-ratio").inner_text() == f"{round(100 * (base - current) / base)}%"
    assert f"baseline {base:.1f} h" in page.locator("#tile-compression").inner_text()
    # a bad period is refused with a message, not a crash
    page.goto(f"{live_server.url}/dashboard/?baseline_from={last}&baseline_to={first}")
    assert "ends before it starts" in page.locator(".dashboard-form").inner_text()
