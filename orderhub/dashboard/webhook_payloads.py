"""Webhook payloads of events whose data lives above the core (settings.OPS_WEBHOOK_PAYLOADS)."""

from django.db.models import F, Sum

from fulfillment.models import Stock
from orderhub.models import Sku


def refund_data(*, refund_id: int | None = None, **ids) -> dict:
    from refunds.models import Refund

    refund = Refund.objects.select_related("shop").filter(pk=refund_id).first() if refund_id else None
    if refund is None:
        return {"refund_id": refund_id, "missing": True, **ids}
    return {
        "refund_id": refund.pk,
        "shop": refund.shop.code,
        "platform": refund.shop.platform,
        "platform_refund_id": refund.platform_refund_id,
        "platform_order_id": refund.platform_order_id,
        "order_id": refund.order_id,
        "type": refund.type,
        "status": refund.status,
        "platform_status": refund.raw_status,
        "amount": str(refund.amount),
        "currency": refund.currency,
        **ids,
    }


def stock_data(*, sku_id: int, **ids) -> dict:
    sku = Sku.objects.filter(pk=sku_id).first()
    levels = list(
        Stock.objects.filter(sku_id=sku_id)
        .values("warehouse__code")
        .annotate(available=Sum(F("on_hand") - F("allocated")), safety=Sum("safety_threshold"))
        .order_by("warehouse__code")
    )
    return {
        "sku_id": sku_id,
        "sku": sku.code if sku else None,
        "name": sku.name if sku else None,
        "warehouses": [
            {
                "warehouse": row["warehouse__code"],
                "available": row["available"],
                "safety_threshold": row["safety"],
            }
            for row in levels
        ],
        **ids,
    }
