"""Order events written by fulfillment, one factory per type (the pattern of orderhub/events.py)."""

from orderhub.events import Actor
from orderhub.models import Order, OrderEvent


def _event(order: Order, type_: str, actor: Actor, **parameters) -> OrderEvent:
    return OrderEvent(
        order=order,
        type=type_,
        parameters=parameters,
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
    )


def stock_allocated_events(*, allocated: list[tuple[Order, list[dict]]], actor: Actor) -> list[OrderEvent]:
    """One event per order of a batch, in one insert. Each order's list holds
    {"line_id", "sku", "warehouse", "quantity"} with SKU and warehouse codes."""
    return OrderEvent.objects.bulk_create(
        _event(order, "stock_allocated", actor, allocations=allocations) for order, allocations in allocated
    )


def stock_released_event(*, order: Order, actor: Actor, allocations: list[dict], reason: str) -> OrderEvent:
    event = _event(order, "stock_released", actor, allocations=allocations, reason=reason)
    event.save()
    return event
