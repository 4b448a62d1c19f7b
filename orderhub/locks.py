"""The only place rows are locked. Lock order everywhere: Order → Stock (by pk) → Allocation → Waybill."""

from orderhub.exceptions import NotFound
from orderhub.models import Hold, Order


def lock_order(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).select_related("shop").first()
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


def lock_orders_by_platform_ids(*, shop_id: int, platform_order_ids: list[str]) -> list[Order]:
    return list(
        Order.objects.select_for_update()
        .filter(shop_id=shop_id, platform_order_id__in=platform_order_ids)
        .order_by("pk")
    )


def lock_open_holds(order_id: int) -> list[Hold]:
    return list(Hold.objects.select_for_update().filter(order_id=order_id, status="open").order_by("pk"))
