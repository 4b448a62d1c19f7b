"""Mapping order lines to our SKUs, on arrival and again whenever staff add a mapping."""

from django.db import transaction

from orderhub.events import Actor, order_lines_mapped_event
from orderhub.locks import lock_order
from orderhub.models import HoldStatus, Order, OrderLine, OrderLineSku, SkuMapping
from orderhub.selectors import sku_resolution_for_shop
from orderhub.services.holds import hold_place, holds_resolve_for_order
from orderhub.status import HoldKind


def order_lines_map(*, order: Order, actor: Actor) -> list[OrderLine]:
    """Maps the order's unmapped lines; holds the order (level 3) while any line stays unmapped.

    Call with the order locked. Returns the lines still unmapped.
    """
    lines = list(order.lines.filter(mapped_skus__isnull=True))
    if not lines:
        return []
    by_platform_id, by_outer_code = sku_resolution_for_shop(
        shop_id=order.shop_id,
        platform_sku_ids={line.platform_sku_id for line in lines},
        outer_codes={line.outer_sku_code for line in lines if line.outer_sku_code},
    )
    rows, mapped, unmapped = [], [], []
    for line in lines:
        found = by_platform_id.get(line.platform_sku_id) or by_outer_code.get(line.outer_sku_code)
        key = {
            "line_id": line.pk,
            "platform_sku_id": line.platform_sku_id,
            "outer_sku_code": line.outer_sku_code,
        }
        if found:
            rows += [
                OrderLineSku(line=line, sku_id=m.sku_id, quantity=m.quantity * line.quantity) for m in found
            ]
            mapped.append(key | {"skus": [[m.sku_id, m.quantity] for m in found]})
        else:
            unmapped.append(key)
    OrderLineSku.objects.bulk_create(rows)
    order_lines_mapped_event(order=order, actor=actor, mapped=mapped, unmapped=unmapped)
    if unmapped:
        codes = ", ".join(item["outer_sku_code"] or item["platform_sku_id"] for item in unmapped)
        hold_place(
            order=order,
            kind=HoldKind.UNMAPPED_SKU,
            actor=actor,
            reason=f"platform SKU not mapped to our catalogue: {codes}",
            details={"lines": unmapped},
        )
    else:
        holds_resolve_for_order(
            order=order, kinds={HoldKind.UNMAPPED_SKU}, actor=actor, note="all lines mapped"
        )
    return [line for line in lines if line.pk in {item["line_id"] for item in unmapped}]


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
            order = lock_order(order_id)
            order_lines_map(order=order, actor=actor)
            count += 1
    return count
