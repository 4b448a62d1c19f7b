"""The refund trail: one RefundEvent per thing that happens to a refund, mirrored on the order's timeline."""

from orderhub.events import Actor, record
from refunds.models import Refund, RefundEvent


def refund_event(refund: Refund, type_: str, actor: Actor, **parameters) -> RefundEvent:
    event = RefundEvent.objects.create(
        refund=refund, type=type_, parameters=parameters, actor_label=actor.label[:64]
    )
    if refund.order_id:
        record(
            refund.order,
            f"refund_{type_}",
            actor,
            refund_id=refund.pk,
            platform_refund_id=refund.platform_refund_id,
            **parameters,
        )
    return event
