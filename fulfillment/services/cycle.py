"""The fulfillment cycle of each order as timestamps on its Parcel: paid → allocated → picked → packed →
shipped → collected (→ delivered). Services stamp them as they write the matching order events;
`parcel_cycle_rebuild` recomputes them from the events alone."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Min

from fulfillment.models_decisions import OrderFulfillment
from fulfillment.models_warehouse import Parcel
from orderhub.models import Order, OrderEvent

STAGES = ("paid", "allocated", "picked", "packed", "shipped", "collected", "delivered")
# Which order event marks each stage (the first one counts).
STAGE_EVENTS = {
    "allocated": ("stock_allocated",),
    "picked": ("picked",),
    "packed": ("packed",),
    "shipped": ("shipped",),
    "collected": ("tracking_collected",),
    "delivered": ("tracking_delivered",),
}


def parcels_ensure(order_ids: Iterable[int]) -> dict[int, Parcel]:
    """The orders' parcels, created where missing with the paid and allocated times known so far."""
    order_ids = set(order_ids)
    found = {parcel.order_id: parcel for parcel in Parcel.objects.filter(order_id__in=order_ids)}
    missing = order_ids - set(found)
    if missing:
        paid = dict(Order.objects.filter(pk__in=missing).values_list("pk", "platform_paid_at"))
        warehouses = dict(
            OrderFulfillment.objects.filter(order_id__in=missing).values_list("order_id", "warehouse_id")
        )
        allocated = dict(
            OrderEvent.objects.filter(order_id__in=missing, type="stock_allocated")
            .values("order_id")
            .annotate(at=Min("created_at"))
            .values_list("order_id", "at")
        )
        Parcel.objects.bulk_create(
            [
                Parcel(
                    order_id=order_id,
                    paid_at=paid.get(order_id),
                    allocated_at=allocated.get(order_id),
                    warehouse_id=warehouses.get(order_id),
                )
                for order_id in missing
            ],
            ignore_conflicts=True,
        )
        found |= {parcel.order_id: parcel for parcel in Parcel.objects.filter(order_id__in=missing)}
    return found


def parcel_ensure(order_id: int) -> Parcel:
    return parcels_ensure([order_id])[order_id]


def stamp(parcel: Parcel, stage: str, at: datetime) -> list[str]:
    """Sets the stage's time unless already set (the first time counts); returns the fields changed."""
    if stage not in STAGES:
        raise ValueError(f"unknown cycle stage {stage!r}")
    field = f"{stage}_at"
    if getattr(parcel, field) is not None:
        return []
    setattr(parcel, field, at)
    return [field]


def parcel_cycle_rebuild(*, order_id: int) -> Parcel:
    """Recomputes every stage time from the order's events (and its payment time)."""
    with transaction.atomic():
        parcel = parcel_ensure(order_id)
        parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
        firsts = dict(
            OrderEvent.objects.filter(order_id=order_id)
            .values("type")
            .annotate(at=Min("created_at"))
            .values_list("type", "at")
        )
        parcel.paid_at = Order.objects.values_list("platform_paid_at", flat=True).get(pk=order_id)
        for stage, types in STAGE_EVENTS.items():
            times = [firsts[t] for t in types if t in firsts]
            setattr(parcel, f"{stage}_at", min(times) if times else None)
        # The carrier's scan times, which the tracking events carry, not when we heard of them.
        for stage in ("collected", "delivered"):
            scans = OrderEvent.objects.filter(order_id=order_id, type=f"tracking_{stage}")
            times = [datetime.fromisoformat(e.parameters["at"]) for e in scans if e.parameters.get("at")]
            if times:
                setattr(parcel, f"{stage}_at", min(times))
        parcel.save()
    return parcel
