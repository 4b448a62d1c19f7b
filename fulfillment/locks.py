"""The only place fulfillment rows are locked. Lock order everywhere (orderhub/locks.py):
Order → Stock (by pk) → Allocation → Waybill. Every list is locked in pk order, so two transactions
wanting overlapping rows queue behind each other instead of deadlocking."""

from collections.abc import Iterable

from fulfillment.models import Allocation, AllocationStatus, Stock
from orderhub.models import Order


def lock_stocks(stock_ids: Iterable[int]) -> dict[int, Stock]:
    stocks = Stock.objects.select_for_update().filter(pk__in=set(stock_ids)).order_by("pk")
    return {stock.pk: stock for stock in stocks}


def lock_active_allocations(order_id: int) -> list[Allocation]:
    """The order's reserved allocations; call with the order and their stock rows already locked."""
    return list(
        # of=self: the joined lines, stocks, warehouses and SKUs are read, not locked.
        Allocation.objects.select_for_update(of=("self",))
        .filter(line__order_id=order_id, status=AllocationStatus.ACTIVE)
        .select_related("stock__warehouse", "stock__sku")
        .order_by("pk")
    )


def lock_orders(order_ids: Iterable[int]) -> dict[int, Order]:
    """Orders first, in pk order, as orderhub.locks.lock_order does for one; a batch allocation locks
    many. Only the fields allocation reads: the personal data stays encrypted and unread."""
    orders = (
        Order.objects.select_for_update(of=("self",))
        .filter(pk__in=set(order_ids))
        .select_related("shop")
        .only(
            "status",
            "platform_order_id",
            "shop__code",
            "presale_deposit_paid_at",
            "presale_balance_due_at",
            "platform_paid_at",
        )
        .order_by("pk")
    )
    return {order.pk: order for order in orders}


def lock_stocks_of_skus(sku_ids: Iterable[int]) -> list[Stock]:
    """Every stock row of these SKUs in active warehouses, in pk order: a batch of decisions routes on
    the locked levels, so what it plans is what it can take."""
    return list(
        Stock.objects.select_for_update(of=("self",))
        .filter(sku_id__in=set(sku_ids), warehouse__active=True)
        .select_related("warehouse")
        .only("warehouse_id", "sku_id", "on_hand", "allocated", "safety_threshold", "warehouse__priority")
        .order_by("pk")
    )
