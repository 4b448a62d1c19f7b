"""Mapping order lines to our SKUs, on arrival and again whenever staff add a mapping."""

from django.db import transaction

from orderhub.bulk import bulk_insert
from orderhub.events import Actor, order_hold_placed_event, order_lines_mapped_event
from orderhub.locks import lock_order
from orderhub.models import Hold, HoldStatus, Order, OrderLine, OrderLineSku, SkuMapping
from orderhub.selectors import sku_resolution_for_shop
from orderhub.services.holds import holds_resolve_for_order
from orderhub.status import HOLD_LEVELS, HoldKind


def order_lines_map(*, order: Order, actor: Actor) -> None:
    """Maps the order's unmapped lines. Call with the order locked."""
    lines = list(order.lines.filter(mapped_skus__isnull=True))
    if lines:
        lines_map(shop_id=order.shop_id, lines_by_order=[(order, lines)], actor=actor)


def lines_map(*, shop_id: int, lines_by_order: list[tuple[Order, list[OrderLine]]], actor: Actor) -> None:
    """Maps a batch of one shop's lines with two lookups in all; an order with an unmapped line is
    held at level 3 until a mapping arrives. Call with the orders locked (or just created)."""
    every_line = [line for _, lines in lines_by_order for line in lines]
    by_platform_id, by_outer_code = sku_resolution_for_shop(
        shop_id=shop_id,
        platform_sku_ids={line.platform_sku_id for line in every_line},
        outer_codes={line.outer_sku_code for line in every_line if line.outer_sku_code},
    )
    rows, unmapped_by_order = [], {}
    for order, lines in lines_by_order:
        mapped, unmapped = [], []
        for line in lines:
            found = by_platform_id.get(line.platform_sku_id) or by_outer_code.get(line.outer_sku_code)
            key = {
                "line_id": line.pk,
                "platform_sku_id": line.platform_sku_id,
                "outer_sku_code": line.outer_sku_code,
            }
            if found:
                rows += [
                    OrderLineSku(line=line, sku_id=m.sku_id, quantity=m.quantity * line.quantity)
                    for m in found
                ]
                mapped.append(key | {"skus": [[m.sku_id, m.quantity] for m in found]})
            else:
                unmapped.append(key)
        order_lines_mapped_event(order=order, actor=actor, mapped=mapped, unmapped=unmapped)
        unmapped_by_order[order.pk] = (order, unmapped)
    bulk_insert(rows)
    _unmapped_holds_update(unmapped_by_order, actor)


def _unmapped_holds_update(unmapped_by_order: dict[int, tuple[Order, list[dict]]], actor: Actor) -> None:
    """Holds an order with an unmapped line (unless it already is) and releases one whose lines all map.

    What hold_place / holds_resolve_for_order do for one order, with one query for the whole batch:
    a query or two per order capped batch ingestion at a few hundred orders a second.
    """
    held = set(
        Hold.objects.filter(
            order_id__in=unmapped_by_order, kind=HoldKind.UNMAPPED_SKU, status=HoldStatus.OPEN
        ).values_list("order_id", flat=True)
    )
    new_holds = []
    for order_id, (order, unmapped) in unmapped_by_order.items():
        if unmapped and order_id not in held:
            codes = ", ".join(item["outer_sku_code"] or item["platform_sku_id"] for item in unmapped)
            new_holds.append(
                Hold(
                    order=order,
                    kind=HoldKind.UNMAPPED_SKU,
                    level=HOLD_LEVELS[HoldKind.UNMAPPED_SKU],
                    reason=f"platform SKU not mapped to our catalogue: {codes}",
                    details={"lines": unmapped},
                )
            )
        elif not unmapped and order_id in held:
            holds_resolve_for_order(
                order=order, kinds={HoldKind.UNMAPPED_SKU}, actor=actor, note="all lines mapped"
            )
    for hold in bulk_insert(new_holds):
        order_hold_placed_event(order=hold.order, hold=hold, actor=actor)


def orders_remap_for_mapping(*, mapping: SkuMapping, actor: Actor) -> int:
    """Re-maps the orders waiting on an unmapped-SKU hold that this mapping may now resolve."""
    line_key = (
        {"lines__platform_sku_id": mapping.platform_sku_id}
        if mapping.platform_sku_id
        else {"lines__outer_sku_code": mapping.outer_sku_code}
    )
    waiting = Order.objects.filter(
        shop_id=mapping.shop_id,
        holds__kind=HoldKind.UNMAPPED_SKU,
        holds__status=HoldStatus.OPEN,
        lines__mapped_skus__isnull=True,
        **line_key,
    )
    count = 0
    for order_id in waiting.values_list("pk", flat=True).distinct().order_by("pk"):
        with transaction.atomic():
            order_lines_map(order=lock_order(order_id), actor=actor)
            count += 1
    return count
