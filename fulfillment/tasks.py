"""django-q2 entry points of fulfillment: thin, ids in, services do the work."""

from fulfillment.services.stock import allocations_release
from orderhub.events import Actor


def release_on_cancel(order_id: int) -> int:
    """Subscribed to "order.cancelled": a cancelled (or fully refunded) order gives its stock back."""
    return allocations_release(
        order_id=order_id, actor=Actor.system("order cancelled"), reason="order cancelled"
    )
