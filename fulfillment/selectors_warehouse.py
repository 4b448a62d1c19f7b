"""Reads of warehouse execution: wave candidates, the pick list, the pack station's view of an order,
label data, write-backs and tracking needing attention. No N+1: rows come in a few queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from fulfillment.models import Stock
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.models_warehouse import (
    Parcel,
    ParcelStatus,
    ShipWriteBack,
    Wave,
    WaveOrder,
    Waybill,
    WaybillStatus,
    WriteBackStatus,
)
from orderhub.models import Hold, HoldStatus, Order, OrderLineSku
from orderhub.status import OrderStatus


@dataclass(frozen=True)
class WaveFilters:
    warehouse_id: int
    carrier_id: int | None = None
    shop_id: int | None = None
    kind: str = ""  # "" any | "single" one unit | "multi" more than one unit
    limit: int = 500
    priority_first: bool = True

    def as_dict(self) -> dict:
        return {
            "warehouse_id": self.warehouse_id,
            "carrier_id": self.carrier_id,
            "shop_id": self.shop_id,
            "kind": self.kind,
            "limit": self.limit,
            "priority_first": self.priority_first,
        }


def open_hold_exists():
    return Exists(Hold.objects.filter(order_id=OuterRef("pk"), status=HoldStatus.OPEN))


def wave_candidates(filters: WaveFilters) -> QuerySet[Order]:
    """Paid, allocated orders of the warehouse, in no wave yet and with no open hold."""
    orders = (
        Order.objects.filter(
            status=OrderStatus.PAID,
            fulfillment__state=FulfillmentState.ALLOCATED,
            fulfillment__warehouse_id=filters.warehouse_id,
            wave_order__isnull=True,
        )
        .exclude(open_hold_exists())
        .annotate(units=Sum("lines__mapped_skus__quantity"))
    )
    if filters.carrier_id:
        orders = orders.filter(fulfillment__carrier_id=filters.carrier_id)
    if filters.shop_id:
        orders = orders.filter(shop_id=filters.shop_id)
    if filters.kind == "single":
        orders = orders.filter(units=1)
    elif filters.kind == "multi":
        orders = orders.filter(units__gt=1)
    ordering = ["fulfillment__priority_rank", "platform_paid_at", "pk"]
    if filters.priority_first:
        ordering.insert(0, "-is_priority")
    return orders.order_by(*ordering)


@dataclass
class PickSku:
    sku_id: int
    sku_code: str
    sku_name: str
    barcode: str
    bin: str
    quantity: int = 0
    gift_quantity: int = 0


@dataclass
class PickLine:
    sku_code: str
    sku_name: str
    bin: str
    quantity: int
    is_gift: bool


@dataclass
class PickOrder:
    order_id: int
    position: int
    platform_order_id: str
    barcode: str
    shop: str
    priority: bool
    hold_reason: str
    lines: list[PickLine] = field(default_factory=list)


@dataclass
class PickList:
    wave_code: str
    warehouse: str
    created_at: str
    skus: list[PickSku]
    orders: list[PickOrder]

    @property
    def total_units(self) -> int:
        return sum(row.quantity for row in self.skus)


def first_open_holds(order_ids) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for order_id, reason in (
        Hold.objects.filter(order_id__in=order_ids, status=HoldStatus.OPEN)
        .order_by("created_at", "pk")
        .values_list("order_id", "reason")
    ):
        reasons.setdefault(order_id, reason)
    return reasons


def pick_list(wave: Wave) -> PickList:
    wave_orders = list(
        WaveOrder.objects.filter(wave=wave)
        .select_related("order__shop")
        .only("position", "order__platform_order_id", "order__is_priority", "order__shop__name")
        .order_by("position")
    )
    order_ids = [wo.order_id for wo in wave_orders]
    items = (
        OrderLineSku.objects.filter(line__order_id__in=order_ids)
        .select_related("sku", "line")
        .only("quantity", "line__order_id", "line__is_gift", "sku__code", "sku__name", "sku__barcode")
        .order_by("line__order_id", "line_id", "pk")
    )
    bins = dict(
        Stock.objects.filter(
            warehouse_id=wave.warehouse_id, sku__in={item.sku_id for item in items}
        ).values_list("sku_id", "bin_location")
    )
    holds = first_open_holds(order_ids)
    skus: dict[int, PickSku] = {}
    lines_of: dict[int, list[PickLine]] = defaultdict(list)
    for item in items:
        sku, bin_location = item.sku, bins.get(item.sku_id, "")
        row = skus.setdefault(
            item.sku_id, PickSku(sku.pk, sku.code, sku.name, sku.barcode or "", bin_location)
        )
        row.quantity += item.quantity
        if item.line.is_gift:
            row.gift_quantity += item.quantity
        lines_of[item.line.order_id].append(
            PickLine(sku.code, sku.name, bin_location, item.quantity, item.line.is_gift)
        )
    orders = [
        PickOrder(
            order_id=wo.order_id,
            position=wo.position,
            platform_order_id=wo.order.platform_order_id,
            barcode=wo.order.platform_order_id,
            shop=wo.order.shop.name,
            priority=wo.order.is_priority,
            hold_reason=holds.get(wo.order_id, ""),
            lines=lines_of[wo.order_id],
        )
        for wo in wave_orders
    ]
    created = timezone.localtime(wave.created_at).strftime("%Y-%m-%d %H:%M")
    return PickList(
        wave_code=wave.code,
        warehouse=wave.warehouse.name,
        created_at=created,
        skus=sorted(skus.values(), key=lambda row: (row.bin or "~", row.sku_code)),
        orders=orders,
    )


def waves_for_console() -> QuerySet[Wave]:
    return Wave.objects.select_related("warehouse", "created_by").annotate(
        orders=Count("wave_orders", distinct=True),
        held=Count("wave_orders", filter=Q(wave_orders__order__holds__status=HoldStatus.OPEN), distinct=True),
    )


@dataclass
class PackExpected:
    sku_id: int
    sku_code: str
    sku_name: str
    barcode: str
    quantity: int
    scanned: int = 0
    gift: bool = False

    @property
    def missing(self) -> int:
        return self.quantity - self.scanned


def order_by_scan(code: str) -> Order | None:
    """The order a scanned barcode names: its platform order number (the pick list's barcode) or its
    waybill number; among several shops' orders with that number, the one waiting to be packed."""
    code = code.strip()
    candidates = list(
        Order.objects.filter(Q(platform_order_id=code) | Q(waybills__number=code, waybills__status="active"))
        .select_related("shop")
        .distinct()
        .order_by("pk")
    )
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    waiting = [
        order
        for order in candidates
        if not Parcel.objects.filter(
            order=order, status__in=[ParcelStatus.PACKED, ParcelStatus.SHIPPED]
        ).exists()
    ]
    return (waiting or candidates)[0]


def parcel_order_ids(order_id: int) -> list[int]:
    """The orders shipped in this order's parcel: itself and the paid orders merged with it."""
    group = (
        OrderFulfillment.objects.filter(order_id=order_id).values_list("merge_group_id", flat=True).first()
    )
    if not group:
        return [order_id]
    merged = OrderFulfillment.objects.filter(merge_group_id=group, order__status=OrderStatus.PAID)
    return sorted({order_id, *merged.values_list("order_id", flat=True)})


def pack_expected(order_id: int) -> list[PackExpected]:
    """What the parcel must hold, per SKU: quantities from the mapped lines of every order in it
    (merged orders ship in one parcel), gifts flagged."""
    expected: dict[int, PackExpected] = {}
    items = OrderLineSku.objects.filter(line__order_id__in=parcel_order_ids(order_id))
    for item in items.select_related("sku", "line").order_by("pk"):
        row = expected.setdefault(
            item.sku_id,
            PackExpected(item.sku_id, item.sku.code, item.sku.name, item.sku.barcode or "", 0),
        )
        row.quantity += item.quantity
        row.gift = row.gift or item.line.is_gift
    return list(expected.values())


def label_data(waybill: Waybill) -> dict:
    address = "".join(
        (waybill.receiver_province, waybill.receiver_city, waybill.receiver_district, waybill.receiver_detail)
    )
    sender = waybill.sender or {}
    items = OrderLineSku.objects.filter(line__order_id=waybill.order_id).select_related("sku").order_by("pk")
    return {
        "number": waybill.number,
        "carrier": waybill.carrier.name,
        "receiver": {"name": waybill.receiver_name, "phone": waybill.receiver_phone, "address": address},
        "sender": {
            "name": sender.get("name", ""),
            "phone": sender.get("mobile", ""),
            "address": "".join(sender.get(k, "") for k in ("province", "city", "district", "detail")),
        },
        "order_number": waybill.order.platform_order_id,
        "gift_note": waybill.gift_note,
        "items": ", ".join(f"{item.sku.code}×{item.quantity}" for item in items),
        "printed": waybill.printed_count,
    }


def active_waybill(order_id: int) -> Waybill | None:
    return (
        Waybill.objects.filter(order_id=order_id, status=WaybillStatus.ACTIVE)
        .select_related("carrier", "order")
        .first()
    )


def writebacks_needing_attention() -> QuerySet[ShipWriteBack]:
    return (
        ShipWriteBack.objects.exclude(status=WriteBackStatus.DONE)
        .select_related("order__shop", "waybill__carrier")
        .order_by("next_attempt_at", "pk")
    )
