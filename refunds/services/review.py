"""The reviewer queue's clock: silent periods that ended go back to the policy, reviews untouched for
too long escalate to the supervisor (an alert), decisions the platform could not take are sent again."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from orderhub.events import Actor
from refunds import rules
from refunds.alarms import escalation_alarm
from refunds.events import refund_event
from refunds.locks import lock_refund
from refunds.models import DecisionState, Refund, RefundStatus, ReviewState
from refunds.services.apply import refunds_link_orders
from refunds.services.decide import MAX_SEND_ATTEMPTS, refund_decision_push
from refunds.services.policy import policy_settings, refund_policy_apply

SWEEP_ACTOR = Actor.system("refund review sweep")


def reviews_sweep(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    settings = policy_settings()
    report = {
        "linked": refunds_link_orders(actor=SWEEP_ACTOR),
        "silent_period_over": 0,
        "escalated": 0,
        "resent": 0,
    }
    waiting = Refund.objects.filter(
        review_state=ReviewState.WAITING, wait_until__lte=now, status=RefundStatus.REQUESTED, decision=""
    )
    for refund_id in waiting.values_list("pk", flat=True):
        refund_policy_apply(refund_id=refund_id, actor=SWEEP_ACTOR, now=now)
        report["silent_period_over"] += 1
    queued = Refund.objects.filter(review_state=ReviewState.QUEUED, status=RefundStatus.REQUESTED)
    for refund_id, queued_at in queued.values_list("pk", "queued_at"):
        due = rules.escalation_due(queued_at=queued_at, now=now, after=settings.escalation_after)
        if due and refund_escalate(refund_id=refund_id, now=now):
            report["escalated"] += 1
    failed = Refund.objects.filter(
        decision_state=DecisionState.FAILED, decision_attempts__lt=MAX_SEND_ATTEMPTS
    )
    for refund_id in failed.values_list("pk", flat=True):
        refund_decision_push(refund_id=refund_id)
        report["resent"] += 1
    return report


def refund_escalate(*, refund_id: int, now: datetime) -> bool:
    with transaction.atomic():
        refund = lock_refund(refund_id)
        if refund.review_state != ReviewState.QUEUED or refund.status != RefundStatus.REQUESTED:
            return False
        refund.review_state, refund.escalated_at = ReviewState.ESCALATED, now
        refund.save(update_fields=["review_state", "escalated_at", "updated_at"])
        waited = (now - refund.queued_at).total_seconds() / 3600
        refund.order  # noqa: B018 - the event goes on the order's timeline too
        refund_event(refund, "escalated", SWEEP_ACTOR, waited_hours=round(waited, 1))
    escalation_alarm(refund=refund, waited_hours=waited)
    Refund.objects.filter(pk=refund_id).update(escalation_alerted=True)
    return True
