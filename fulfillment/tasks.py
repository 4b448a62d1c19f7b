"""django-q2 entry points of fulfillment: thin, ids in, services do the work."""

from fulfillment.exceptions import MergeRefused
from fulfillment.services.merge import orders_merge
from fulfillment.services.presale import presales_expire
from fulfillment.services.stock import allocations_release
from orderhub.events import Actor
from orderhub.exceptions import NotFound


def release_on_cancel(order_id: int) -> int:
    """Subscribed to "order.cancelled": a cancelled (or fully refunded) order gives its stock back."""
    return allocations_release(
        order_id=order_id, actor=Actor.system("order cancelled"), reason="order cancelled"
    )


def presales_expire_task() -> int:
    """Scheduled every 10 minutes: presale orders whose balance is overdue are released and closed."""
    return len(presales_expire())


def orders_merge_task(order_ids: list[int]) -> int | None:
    """Queued when the decision settings merge candidates automatically. A candidate that stopped
    qualifying meanwhile (shipped, cancelled, a waybill issued) is left alone, not an error."""
    try:
        return orders_merge(order_ids=order_ids, actor=Actor.system("automatic merge")).pk
    except (MergeRefused, NotFound):
        return None
