"""Presale orders whose balance is overdue: the reservation is released, the order closed."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fulfillment.decision_events import order_decision_event
from fulfillment.facts import presale_decision
from fulfillment.models import FulfillmentSettings
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.rules import RELEASE_AND_CLOSE
from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.services.orders import apply_status
from orderhub.status import OrderStatus


def presales_expire(*, now: datetime | None = None) -> list[int]:
    """Closes every reserved presale whose balance is overdue; the ids of the orders closed.

    Closing announces "order.cancelled", on which fulfillment.tasks.release_on_cancel gives the
    reserved stock back, as for any cancelled order.
    """
    now = now or timezone.now()
    settings = FulfillmentSettings.current()
    actor = Actor.system("presale balance deadline")
    candidates = OrderFulfillment.objects.filter(
        state=FulfillmentState.RESERVED, order__status=OrderStatus.PENDING_PAYMENT
    ).values_list("order_id", flat=True)
    closed = []
    for order_id in candidates:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status != OrderStatus.PENDING_PAYMENT or order.presale_deposit_paid_at is None:
                continue  # the balance arrived meanwhile
            decision = presale_decision(order, settings, now)
            if decision.state != RELEASE_AND_CLOSE:
                continue
            order_decision_event(order=order, actor=actor, decision=decision.decision)
            apply_status(
                order=order, to_status=OrderStatus.CANCELLED, actor=actor, reason=decision.decision.reason
            )
            OrderFulfillment.objects.filter(order=order).update(state=FulfillmentState.CANCELLED)
            closed.append(order_id)
    return closed
