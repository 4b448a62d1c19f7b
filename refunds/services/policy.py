"""Runs the pure refund policy (rules.refund_policy) on a stored refund and acts on its answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orderhub.events import Actor
from orderhub.models import OrderEvent
from orderhub.status import OrderStatus
from refunds import rules
from refunds.events import refund_event
from refunds.locks import lock_refund
from refunds.models import Refund, RefundPolicySettings, RefundStatus, ReviewState

POLICY_ACTOR = Actor.system("refund policy")


def policy_settings() -> rules.PolicySettings:
    row = RefundPolicySettings.current()
    return rules.PolicySettings(
        auto_approve=row.auto_approve,
        auto_approve_below=row.auto_approve_below,
        silent_period=timedelta(hours=row.silent_period_hours),
        escalation_after=timedelta(hours=row.escalation_hours),
        no_reason_phrases=tuple(row.no_reason_phrases or ()),
    )


def delivered_at(order) -> datetime | None:
    """When the buyer got the parcel: a delivery event, else the order's move to completed."""
    if order is None or (
        order.status != OrderStatus.COMPLETED and not order.events.filter(type="delivered").exists()
    ):
        return None
    event = (
        OrderEvent.objects.filter(order=order)
        .filter(Q(type="delivered") | Q(type="status_changed", parameters__to_status=OrderStatus.COMPLETED))
        .order_by("created_at")
        .first()
    )
    return event.created_at if event else order.platform_updated_at


def refund_facts(refund: Refund, settings: rules.PolicySettings, now: datetime) -> rules.RefundFacts:
    order = refund.order
    history = Refund.objects.none()
    if refund.buyer_id:
        since = now - timedelta(days=RefundPolicySettings.current().clean_history_days)
        history = Refund.objects.filter(
            shop=refund.shop_id, buyer_id=refund.buyer_id, created_at__gte=since
        ).exclude(pk=refund.pk)
    return rules.RefundFacts(
        status=refund.status,
        refund_type=refund.type,
        amount=refund.amount,
        reason=refund.reason,
        disputed=refund.disputed,
        order_known=order is not None,
        order_shipped=order is not None and order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED),
        delivered_at=delivered_at(order),
        buyer_refunds_before=history.count(),
        buyer_rejected_or_disputed=history.filter(Q(status=RefundStatus.REJECTED) | Q(disputed=True)).count(),
        now=now,
    )


def refund_policy_apply(*, refund_id: int, actor: Actor = POLICY_ACTOR, now: datetime | None = None):
    now = now or timezone.now()
    settings = policy_settings()
    refund = Refund.objects.select_related("order", "shop").get(pk=refund_id)
    decision = rules.refund_policy(refund_facts(refund, settings, now), settings)
    if decision.action == rules.NONE:
        return decision
    with transaction.atomic():
        refund = lock_refund(refund_id)
        if refund.decision or refund.status != RefundStatus.REQUESTED:
            return decision  # decided meanwhile
        refund.policy_action, refund.policy_reason = decision.action, decision.reason[:300]
        fields = ["policy_action", "policy_reason", "updated_at"]
        if decision.action == rules.REVIEW and refund.review_state not in (
            ReviewState.QUEUED,
            ReviewState.ESCALATED,
        ):
            refund.review_state, refund.queued_at = ReviewState.QUEUED, now
            fields += ["review_state", "queued_at"]
        elif decision.action == rules.WAIT:
            refund.review_state, refund.wait_until = ReviewState.WAITING, decision.until
            fields += ["review_state", "wait_until"]
        refund.save(update_fields=fields)
        refund_event(refund, "policy", POLICY_ACTOR, **decision.to_json())
    if decision.action == rules.APPROVE:
        from refunds.services.decide import refund_decide

        refund_decide(refund_id=refund_id, approve=True, reason=decision.reason, actor=POLICY_ACTOR)
    return decision
