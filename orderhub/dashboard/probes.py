"""Alert probes that read other apps (project wiring; listed in settings.OPS_ALERT_PROBES)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Sum

from channels_sync.models import InboundEvent, InboundStatus, SyncRun
from fulfillment.models import Stock
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from orderhub.dispatch import announce
from orderhub.models import OrderLineSku, Shop
from orderhub.ops.models import Alert, AlertKind, AlertLevel, AlertStatus
from orderhub.ops.services.evaluate import ProbeResult, Reading
from orderhub.status import OrderStatus

WAITING_STATES = (FulfillmentState.PENDING, FulfillmentState.OUT_OF_STOCK, FulfillmentState.HELD)


def sync_failures_probe(now: datetime) -> ProbeResult:
    """More than settings.OPS_SYNC_FAILURES_PER_HOUR failures for one shop in the last hour: failed pulls
    plus payloads that failed or went to the dead letters."""
    threshold = getattr(settings, "OPS_SYNC_FAILURES_PER_HOUR", 10)
    since = now - timedelta(hours=1)
    failures: dict[int, int] = {}
    runs = (
        SyncRun.objects.filter(started_at__gte=since, ok=False)
        .values("shop")
        .annotate(n=Count("pk"))
        .values_list("shop", "n")
    )
    payloads = (
        InboundEvent.objects.filter(
            received_at__gte=since, status__in=[InboundStatus.FAILED, InboundStatus.DEAD], shop__isnull=False
        )
        .values("shop")
        .annotate(n=Count("pk"))
        .values_list("shop", "n")
    )
    for shop_id, count in [*runs, *payloads]:
        failures[shop_id] = failures.get(shop_id, 0) + count
    over = {shop_id: count for shop_id, count in failures.items() if count > threshold}
    codes = dict(Shop.objects.filter(pk__in=over).values_list("pk", "code"))
    readings = [
        Reading(
            key=f"shop:{codes.get(shop_id, shop_id)}",
            value=count,
            message=f"店铺 {codes.get(shop_id, shop_id)} 最近一小时同步失败 {count} 次(阈值 {threshold})",
            level=AlertLevel.CRITICAL if count > 5 * threshold else AlertLevel.WARNING,
            details={"shop_id": shop_id, "failures_last_hour": count, "threshold": threshold},
        )
        for shop_id, count in sorted(over.items())
    ]
    return ProbeResult(AlertKind.SYNC_FAILURES, readings)


def low_stock_probe(now: datetime) -> ProbeResult:
    """A SKU whose available stock (all warehouses) is at or below its safety thresholds while paid
    orders needing it wait undecided or out of stock. A new or worse one is also announced as
    "stock.low" for the outbound webhooks."""
    stock = {
        row["sku__code"]: row
        for row in Stock.objects.values("sku_id", "sku__code").annotate(
            available=Sum(F("on_hand") - F("allocated")), threshold=Sum("safety_threshold")
        )
    }
    low = {code: row for code, row in stock.items() if row["available"] <= row["threshold"]}
    if not low:
        return ProbeResult(AlertKind.LOW_STOCK, [])
    waiting_orders = OrderFulfillment.objects.filter(
        state__in=WAITING_STATES, order__status=OrderStatus.PAID
    ).values("order_id")
    waiting = dict(
        OrderLineSku.objects.filter(sku__code__in=low, line__order_id__in=waiting_orders)
        .values("sku__code")
        .annotate(orders=Count("line__order_id", distinct=True), units=Sum("quantity"))
        .values_list("sku__code", "orders")
    )
    before = dict(
        Alert.objects.filter(kind=AlertKind.LOW_STOCK)
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("key", "fire_count")
    )
    readings = []
    for code, orders in sorted(waiting.items()):
        row = low[code]
        readings.append(
            Reading(
                key=code,
                value=orders,
                message=f"SKU {code} 库存不足:可用 {row['available']}(安全库存 {row['threshold']}),"
                f"{orders} 单待发",
                level=AlertLevel.CRITICAL if row["available"] <= 0 else AlertLevel.WARNING,
                details={"sku_id": row["sku_id"], "available": row["available"], "waiting_orders": orders},
            )
        )
    result = ProbeResult(AlertKind.LOW_STOCK, readings)
    # Announce after the alerts are raised (in alerts_evaluate), so only new ones: keys not active before.
    for reading in readings:
        if reading.key not in before:
            announce("stock.low", sku_id=reading.details["sku_id"])
    return result


__all__ = ["low_stock_probe", "sync_failures_probe"]
