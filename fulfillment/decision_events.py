"""The "decision" order event: one per rule outcome, so the order's timeline says what was decided and why."""

from fulfillment.rules import Decision
from orderhub.events import Actor, record
from orderhub.models import Order, OrderEvent


def order_decision_event(*, order: Order, actor: Actor, decision: Decision) -> OrderEvent:
    """parameters: kind, rule, inputs, outcome, reason (Decision.as_event_parameters)."""
    return record(order, "decision", actor, **decision.as_event_parameters())
