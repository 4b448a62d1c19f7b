"""django-q2 entry points of the order decisions: thin, ids in, services do the work."""

from fulfillment.services.decide import order_process, order_reprocess_after_hold, orders_process
from orderhub.dispatch import takes_batches
from orderhub.events import Actor

DECIDER = Actor.system("decisions")


def orders_process_batch(calls: list[dict]) -> int:
    """Many announcements of one transaction (a bulk ingest) decided in one batch."""
    return len(orders_process(order_ids=[call["order_id"] for call in calls], actor=DECIDER))


@takes_batches(orders_process_batch)
def order_process_task(order_id: int) -> str | None:
    """Subscribed to "order.paid", "order.deposit_paid" (presale) and "order.cancelled" (to close the
    decision record)."""
    fulfillment = order_process(order_id=order_id, actor=DECIDER)
    return fulfillment.state if fulfillment else None


def order_released_task(order_id: int) -> str | None:
    """Subscribed to "order.released": the order's last open hold was resolved."""
    fulfillment = order_reprocess_after_hold(order_id=order_id)
    return fulfillment.state if fulfillment else None
