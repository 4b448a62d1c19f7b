"""The pack-scan check: scan the order's barcode, then every unit; a wrong SKU, an extra unit or an
unknown barcode is refused; the order is packed only when every unit (gifts included) has been scanned.
Every scan is recorded with the user, refused ones too. An order with an open hold is refused with the
hold's reason (a refund intercept, say)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.locks_warehouse import lock_parcel
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.models_warehouse import PackScan, ParcelStatus, ScanResult
from fulfillment.selectors_warehouse import (
    PackExpected,
    first_open_holds,
    order_by_scan,
    pack_expected,
    parcel_order_ids,
)
from fulfillment.services.cycle import parcel_ensure, stamp
from fulfillment.warehouse_events import order_packed_event
from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.models import Order, Sku
from orderhub.status import OrderStatus

REFUSALS = {ScanResult.WRONG_SKU, ScanResult.EXTRA, ScanResult.UNKNOWN, ScanResult.REFUSED}


@dataclass
class ScanOutcome:
    result: str
    message: str
    order: Order | None = None
    expected: list[PackExpected] = field(default_factory=list)
    gifts: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.result in REFUSALS

    @property
    def packed(self) -> bool:
        return self.result == ScanResult.PACKED

    @property
    def missing(self) -> list[PackExpected]:
        return [row for row in self.expected if row.missing > 0]

    @property
    def missing_units(self) -> int:
        return sum(row.missing for row in self.missing)


def _record(order: Order | None, barcode: str, result: str, message: str, user, sku: Sku | None = None):
    PackScan.objects.create(
        order=order, barcode=barcode[:64], sku=sku, result=result, message=message[:300], user=user
    )


def _session_start(order_id: int):
    return PackScan.objects.filter(order_id=order_id, result=ScanResult.ORDER).aggregate(last=Max("pk"))[
        "last"
    ]


def _progress(order_id: int) -> list[PackExpected]:
    """Expected units with those scanned since the order was last opened at a station."""
    expected = pack_expected(order_id)
    start = _session_start(order_id) or 0
    counts: dict[int, int] = {}
    for sku_id in PackScan.objects.filter(order_id=order_id, result=ScanResult.OK, pk__gt=start).values_list(
        "sku_id", flat=True
    ):
        counts[sku_id] = counts.get(sku_id, 0) + 1
    for row in expected:
        row.scanned = counts.get(row.sku_id, 0)
    return expected


def _refusal_reason(order: Order) -> str:
    """Why this order may not be packed now, or ''."""
    holds = first_open_holds(parcel_order_ids(order.pk))  # merged orders share the parcel
    if holds:
        return _("On hold: %(reason)s") % {"reason": next(iter(holds.values()))}
    if order.status != OrderStatus.PAID:
        return _("Order is %(status)s, not waiting to ship.") % {"status": order.get_status_display()}
    state = OrderFulfillment.objects.filter(order=order).values_list("state", flat=True).first()
    if state != FulfillmentState.ALLOCATED:
        return _("Order has no allocated stock.")
    if parcel_ensure(order.pk).status in (ParcelStatus.PACKED, ParcelStatus.SHIPPED, ParcelStatus.DELIVERED):
        return _("Order is already packed.")
    return ""


def _gifts(expected: list[PackExpected]) -> list[str]:
    return [f"{row.sku_name} ×{row.quantity}" for row in expected if row.gift]


def pack_scan(*, barcode: str, user, order_id: int | None = None) -> ScanOutcome:
    """One scan at the station. `order_id` is the order open at the station, if any."""
    barcode = (barcode or "").strip()
    if not barcode:
        return ScanOutcome(ScanResult.UNKNOWN, _("Empty scan."))
    order = Order.objects.select_related("shop").filter(pk=order_id).first() if order_id else None
    sku = Sku.objects.filter(barcode=barcode).first() or Sku.objects.filter(code=barcode).first()
    if order is None or sku is None:
        scanned_order = order_by_scan(barcode)
        if scanned_order is not None:
            return _open(scanned_order, barcode, user)
    if order is None:
        _record(None, barcode, ScanResult.UNKNOWN, "no order open", user)
        return ScanOutcome(
            ScanResult.UNKNOWN,
            _("Unknown barcode %(code)s: scan the order's barcode first.") % {"code": barcode},
        )
    return _item(order, sku, barcode, user)


def _open(order: Order, barcode: str, user) -> ScanOutcome:
    reason = _refusal_reason(order)
    if reason:
        _record(order, barcode, ScanResult.REFUSED, reason, user)
        return ScanOutcome(ScanResult.REFUSED, reason, order=None)
    _record(order, barcode, ScanResult.ORDER, "opened", user)
    expected = _progress(order.pk)
    gifts = _gifts(expected)
    message = _("Order %(order)s: scan every item.") % {"order": order.platform_order_id}
    return ScanOutcome(ScanResult.ORDER, message, order=order, expected=expected, gifts=gifts)


def _item(order: Order, sku: Sku | None, barcode: str, user) -> ScanOutcome:
    with transaction.atomic():
        order = lock_order(order.pk)
        parcel = parcel_ensure(order.pk)
        parcel = lock_parcel(order.pk)
        reason = _refusal_reason(order)
        if reason:
            _record(order, barcode, ScanResult.REFUSED, reason, user)
            return ScanOutcome(ScanResult.REFUSED, reason, order=None)
        expected = _progress(order.pk)
        gifts = _gifts(expected)
        row = next((row for row in expected if sku is not None and row.sku_id == sku.pk), None)
        if sku is None:
            result, message = ScanResult.UNKNOWN, _("Unknown barcode %(code)s.") % {"code": barcode}
        elif row is None:
            result = ScanResult.WRONG_SKU
            message = _("Wrong item: %(sku)s is not in this order.") % {"sku": f"{sku.code} {sku.name}"}
        elif row.missing <= 0:
            result = ScanResult.EXTRA
            message = _("Extra unit: %(sku)s already has all %(quantity)d.") % {
                "sku": sku.code,
                "quantity": row.quantity,
            }
        else:
            result, message = ScanResult.OK, _("%(sku)s ✓") % {"sku": f"{sku.code} {sku.name}"}
            row.scanned += 1
        _record(order, barcode, result, message, user, sku=sku)
        outcome = ScanOutcome(result, message, order=order, expected=expected, gifts=gifts)
        if result == ScanResult.OK and not outcome.missing:
            now = timezone.now()
            changed = stamp(parcel, "picked", now) + stamp(parcel, "packed", now)
            parcel.status, parcel.packed_by = ParcelStatus.PACKED, user
            parcel.save(update_fields=[*changed, "status", "packed_by"])
            scans = PackScan.objects.filter(order=order, pk__gt=_session_start(order.pk) or 0).count()
            order_packed_event(order=order, actor=Actor.of_user(user), scans=scans)
            _record(order, order.platform_order_id, ScanResult.PACKED, "packed", user)
            outcome.result = ScanResult.PACKED
            outcome.message = _("Packed: %(order)s is complete.") % {"order": order.platform_order_id}
    return outcome
