"""Order events written by fulfillment, one factory per type (the pattern of orderhub/events.py)."""

from orderhub.events import Actor, collected, record
from orderhub.models import Order, OrderEvent


def stock_allocated_events(*, allocated: list[tuple[Order, list[dict]]], actor: Actor) -> list[OrderEvent]:
    """One event per order of a batch, in one insert. Each order's list holds
    {"line_id", "sku", "warehouse", "quantity"} with SKU and warehouse codes."""
    with collected() as batch:
        for order, allocations in allocated:
            record(order, "stock_allocated", actor, allocations=allocations)
    return batch


def stock_released_event(*, order: Order, actor: Actor, allocations: list[dict], reason: str) -> OrderEvent:
    return record(order, "stock_released", actor, allocations=allocations, reason=reason)
