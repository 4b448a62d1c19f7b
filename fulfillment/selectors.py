"""Read queries of fulfillment: stock as plain data for the rules, and querysets for the console."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet

from fulfillment.models import Allocation, Stock, StockAdjustment
from orderhub.models import OrderLineSku
from orderhub.selectors import orders_for_user


@dataclass(frozen=True)
class StockLevel:
    on_hand: int
    allocated: int
    safety_threshold: int
    warehouse_priority: int

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


def available_stock(sku_ids: Iterable[int]) -> dict[tuple[int, int], StockLevel]:
    """(warehouse id, SKU id) → its stock, in active warehouses only; one query, no locks.

    A snapshot for choosing a warehouse: stock_allocate checks again under the row locks.
    """
    rows = Stock.objects.filter(sku_id__in=set(sku_ids), warehouse__active=True).values_list(
        "warehouse_id", "sku_id", "on_hand", "allocated", "safety_threshold", "warehouse__priority"
    )
    return {
        (warehouse_id, sku_id): StockLevel(on_hand, allocated, safety, priority)
        for warehouse_id, sku_id, on_hand, allocated, safety, priority in rows
    }


@dataclass(frozen=True)
class LineNeed:
    line_id: int
    sku_id: int
    quantity: int


def orders_sku_needs(order_ids: Iterable[int]) -> dict[int, list[LineNeed]]:
    """What each order needs in our SKUs, one entry per mapped SKU of each line; one query."""
    rows = (
        OrderLineSku.objects.filter(line__order_id__in=set(order_ids))
        .order_by("line_id", "sku_id")
        .values_list("line__order_id", "line_id", "sku_id", "quantity")
    )
    needs: dict[int, list[LineNeed]] = {}
    for order_id, line_id, sku_id, quantity in rows:
        needs.setdefault(order_id, []).append(LineNeed(line_id, sku_id, quantity))
    return needs


def stocks_for_console() -> QuerySet[Stock]:
    return Stock.objects.select_related("warehouse", "sku").annotate(
        available_quantity=F("on_hand") - F("allocated")
    )


def adjustments_for_console() -> QuerySet[StockAdjustment]:
    return StockAdjustment.objects.select_related("stock__warehouse", "stock__sku", "user")


def allocations_for_user(user) -> QuerySet[Allocation]:
    """Allocations of the orders the user may see (staff scoped to shops see only theirs)."""
    return Allocation.objects.filter(line__order__in=orders_for_user(user)).select_related(
        "line__order__shop", "stock__warehouse", "stock__sku"
    )
