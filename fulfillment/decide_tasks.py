"""django-q2 entry points of the order decisions: thin, ids in, services do the work."""

from fulfillment.services.decide import order_process, order_reprocess_after_hold
from orderhub.events import Actor


def order_process_task(order_id: int) -> str | None:
    """Subscribed to "order.paid" (and "order.cancelled", to close the decision record)."""
    fulfillment = order_process(order_id=order_id, actor=Actor.system("decisions"))
    return fulfillment.state if fulfillment else None


def order_released_task(order_id: int) -> str | None:
    """Subscribed to "order.released": the order's last open hold was resolved."""
    fulfillment = order_reprocess_after_hold(order_id=order_id)
    return fulfillment.state if fulfillment else None
