"""django-q2 entry points of the refunds app: thin, ids in, services do the work."""

from django_q.tasks import async_task

from channels_sync.services.refunds import refunds_normalized
from orderhub.events import Actor
from orderhub.models import Shop
from refunds.services.apply import refund_apply as refund_apply_service
from refunds.services.decide import refund_decision_push
from refunds.services.poll import shop_refunds_poll
from refunds.services.review import reviews_sweep


def refund_apply(*, inbound_event_id: int) -> list[dict]:
    """Subscriber of "refund.received": applies the cases the drain kept on the payload."""
    event, refunds = refunds_normalized(inbound_event_id)
    actor = Actor.channel(f"{event.platform} sync")
    outcomes = [
        refund_apply_service(shop=event.shop, incoming=refund, actor=actor, stored_at=event.received_at)
        for refund in refunds
    ]
    return [{"refund": o.refund_id, "result": o.result, "status": o.status} for o in outcomes]


def refund_decision_send(*, refund_id: int) -> bool:
    return refund_decision_push(refund_id=refund_id)


def poll_shop_refunds(*, shop_id: int) -> dict:
    return shop_refunds_poll(shop=Shop.objects.get(pk=shop_id))


def poll_all_shops_refunds() -> int:
    shop_ids = list(
        Shop.objects.filter(active=True, pull_enabled=True)
        .exclude(platform="manual")
        .values_list("pk", flat=True)
    )
    for shop_id in shop_ids:
        async_task(
            "refunds.tasks.poll_shop_refunds", shop_id=shop_id, task_name=f"refund poll shop {shop_id}"
        )
    return len(shop_ids)


def review_sweep() -> dict:
    return reviews_sweep()
