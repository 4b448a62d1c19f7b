"""Row locks of warehouse execution (the only place its rows are locked). Lock order everywhere:
Order → Parcel → Stock (by pk) → Allocation → Waybill; lists in pk order."""

from fulfillment.models_warehouse import Parcel, ShipWriteBack, Waybill, WaybillStatus, WriteBackStatus


def lock_parcel(order_id: int):
    """The order's parcel row, after the order itself (Order → Parcel → Stock → Allocation → Waybill)."""
    return Parcel.objects.select_for_update(of=("self",)).filter(order_id=order_id).first()


def lock_waybill(waybill_id: int):
    return Waybill.objects.select_for_update(of=("self",)).select_related("carrier").get(pk=waybill_id)


def lock_active_waybills(order_id: int) -> list:
    return list(
        Waybill.objects.select_for_update(of=("self",))
        .filter(order_id=order_id, status=WaybillStatus.ACTIVE)
        .select_related("carrier")
        .order_by("pk")
    )


def lock_writebacks_due(now, limit: int) -> list:
    """Ship write-backs due for an attempt, claimed without waiting on rows another worker holds."""
    return list(
        ShipWriteBack.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status__in=[WriteBackStatus.PENDING, WriteBackStatus.FAILED], next_attempt_at__lte=now)
        .order_by("pk")[:limit]
    )
