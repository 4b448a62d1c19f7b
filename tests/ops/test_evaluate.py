"""Alert evaluation: the backlog message with its ETA, inflow, the stuck-order scan and its holds."""

from datetime import UTC, datetime, timedelta

import pytest

from orderhub.models import Hold
from orderhub.ops.models import Alert, AlertStatus
from orderhub.ops.selectors import Backlog, backlog
from orderhub.ops.services.evaluate import alerts_evaluate, stuck_orders_scan
from tests.factories import make_order, make_shop

pytestmark = pytest.mark.django_db


def test_backlog_message_exact_format():
    now = datetime(2026, 11, 11, 2, 39, 30, tzinfo=UTC)  # 10:39:30 in Shanghai
    b = Backlog(count=327, oldest_paid_at=now - timedelta(hours=1), rate_per_minute=89.2, now=now)
    # 327 / 89.2 = 3.67 min → 10:43 in Asia/Shanghai
    assert b.message() == "当前订单积压量:327单,处理速率:89单/分钟,预计清空时间:10:43"
    assert b.age_minutes == 60
    stalled = Backlog(count=5, oldest_paid_at=now, rate_per_minute=0, now=now)
    assert stalled.message() == "当前订单积压量:5单,处理速率:0单/分钟,预计清空时间:无法估计"


def test_backlog_counts_paid_orders_and_rate_of_those_leaving(settings):
    from orderhub.events import Actor
    from orderhub.services.orders import order_transition

    shop = make_shop()
    orders = [make_order(shop) for _ in range(4)]
    order_transition(order_id=orders[0].pk, to_status="shipped", actor=Actor.system("t"), reason="t")
    figures = backlog()
    assert figures.count == 3
    assert figures.rate_per_minute == pytest.approx(1 / 15)


def test_backlog_alert_raised_and_resolved(settings):
    settings.OPS_ALERT_PROBES = ["orderhub.ops.services.evaluate.backlog_probe"]
    settings.OPS_BACKLOG_ALERT_ORDERS = 2
    shop = make_shop()
    orders = [make_order(shop) for _ in range(3)]
    alerts_evaluate()
    alert = Alert.objects.get(kind="backlog")
    assert alert.value == 3 and alert.message.startswith("当前订单积压量:3单,处理速率:0单/分钟")
    Hold.objects.all().delete()
    from orderhub.models import Order

    Order.objects.filter(pk__in=[o.pk for o in orders[:2]]).update(status="shipped")
    alerts_evaluate()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_inflow_alert(settings):
    settings.OPS_ALERT_PROBES = ["orderhub.ops.services.evaluate.inflow_probe"]
    settings.OPS_INFLOW_ALERT_PER_MINUTE = 2
    shop = make_shop()
    for _ in range(3):
        make_order(shop)
    alerts_evaluate()
    alert = Alert.objects.get(kind="inflow")
    assert alert.value == 3 and "超过阈值2单/分钟" in alert.message


def test_stuck_scan_opens_one_hold_and_alerts(settings):
    settings.OPS_STUCK_LIMITS_MINUTES = {"paid": 60}
    settings.OPS_ALERT_PROBES = ["orderhub.ops.services.evaluate.stuck_probe"]
    shop = make_shop()
    old = make_order(shop)  # paid at T0 (2026-11-11), long ago
    fresh = make_order(shop, paid_at=datetime.now(tz=UTC))
    assert stuck_orders_scan() == 1
    hold = Hold.objects.get(kind="stuck")
    assert hold.order_id == old.pk and hold.status == "open"
    assert not Hold.objects.filter(order=fresh, kind="stuck").exists()
    assert stuck_orders_scan() == 0  # one hold per order, not one a minute
    alerts_evaluate()
    alert = Alert.objects.get(kind="stuck_order")
    assert alert.key == "paid" and alert.value == 1
