"""Approve or reject a refund: recorded at once, sent to the platform through its real API after commit,
retried when the platform is unreachable, every attempt on the refund's trail."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from channels_sync.platforms.base import PlatformError
from channels_sync.platforms.refunds import RefundDecision
from channels_sync.services.refunds import refund_decision_send
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput, InvalidTransition
from refunds.events import refund_event
from refunds.locks import lock_refund
from refunds.models import DecisionState, Refund, RefundStatus, ReviewState

MAX_SEND_ATTEMPTS = 5
DECIDABLE = (RefundStatus.REQUESTED, RefundStatus.APPROVED)  # approved: confirm the returned goods


def refund_decide(*, refund_id: int, approve: bool, reason: str, actor: Actor) -> Refund:
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput(_("A rejection needs a reason."))
    with transaction.atomic():
        refund = lock_refund(refund_id)
        if refund.unmapped:
            raise InvalidTransition(_("Map the refund's platform status before deciding it."))
        if refund.status not in DECIDABLE:
            raise InvalidTransition(
                _("Refund %(id)s is %(status)s; only requested or approved refunds can be decided.")
                % {"id": refund.platform_refund_id, "status": refund.get_status_display()}
            )
        if refund.decision_state == DecisionState.PENDING:
            raise InvalidTransition(_("A decision on this refund is being sent to the platform."))
        now = timezone.now()
        refund.decision = "approve" if approve else "reject"
        refund.decision_reason = reason[:300]
        refund.decided_by_id = actor.user_id
        refund.decided_at = now
        refund.decision_state = DecisionState.PENDING
        refund.decision_attempts = 0
        refund.decision_error = ""
        refund.review_state = ReviewState.DONE
        refund.save()
        refund.order  # noqa: B018 - loaded for the order timeline
        refund_event(refund, "decided", actor, decision=refund.decision, reason=refund.decision_reason)
        transaction.on_commit(
            partial(
                async_task,
                "refunds.tasks.refund_decision_send",
                refund_id=refund.pk,
                task_name=f"refund decision {refund.pk}",
            )
        )
    if approve and refund.intercepted:
        from refunds.services.flow import stock_release_on_approval

        stock_release_on_approval(refund_id=refund.pk, actor=actor)
    return refund


def decision_resend(*, refund_id: int, actor: Actor) -> Refund:
    """A decision the platform refused or never got (say, until the shop was authorised again) is sent
    again with a fresh attempt budget."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        if refund.decision_state != DecisionState.FAILED:
            raise InvalidTransition(_("Only a decision that failed to reach the platform can be sent again."))
        refund.decision_state, refund.decision_attempts = DecisionState.PENDING, 0
        refund.save(update_fields=["decision_state", "decision_attempts", "updated_at"])
        refund.order  # noqa: B018 - loaded for the order timeline
        refund_event(refund, "decision_resent", actor, decision=refund.decision)
        transaction.on_commit(
            partial(async_task, "refunds.tasks.refund_decision_send", refund_id=refund.pk,
                    task_name=f"refund decision {refund.pk}")
        )  # fmt: skip
    return refund


def _decision_of(refund: Refund) -> RefundDecision:
    facts = dict((refund.raw_payload or {}).get("platform_facts") or {})
    return RefundDecision(
        platform_refund_id=refund.platform_refund_id,
        platform_order_id=refund.platform_order_id,
        approve=refund.decision == "approve",
        reason=refund.decision_reason or ("" if refund.decision == "approve" else "rejected"),
        amount=refund.amount,
        refund_type=refund.type,
        raw_status=refund.raw_status,
        extra=facts | {"phase": refund.phase},
    )


def refund_decision_push(*, refund_id: int) -> bool:
    """Sends the recorded decision; True once the platform accepted it. A failure stays visible and is
    retried by the review sweep (up to MAX_SEND_ATTEMPTS); a refusal by the platform is not retried."""
    refund = Refund.objects.select_related("shop", "order").get(pk=refund_id)
    if refund.decision_state not in (DecisionState.PENDING, DecisionState.FAILED) or not refund.decision:
        return refund.decision_state == DecisionState.SENT
    actor = Actor.system(f"{refund.shop.platform} refund API")
    attempts = refund.decision_attempts + 1
    try:
        answer = refund_decision_send(shop=refund.shop, decision=_decision_of(refund))
    except PlatformError as exc:
        retry = exc.retryable and attempts < MAX_SEND_ATTEMPTS
        Refund.objects.filter(pk=refund_id).update(
            decision_state=DecisionState.FAILED,
            decision_attempts=attempts if retry else MAX_SEND_ATTEMPTS,
            decision_error=f"{exc.code}: {exc}"[:2000],
            updated_at=timezone.now(),
        )
        refund_event(
            refund,
            "decision_failed",
            actor,
            decision=refund.decision,
            error=str(exc)[:300],
            code=exc.code,
            attempt=attempts,
            will_retry=retry,
        )
        return False
    Refund.objects.filter(pk=refund_id).update(
        decision_state=DecisionState.SENT,
        decision_attempts=attempts,
        decision_error="",
        updated_at=timezone.now(),
    )
    refund_event(refund, "decision_sent", actor, decision=refund.decision, answer=_summary(answer))
    return True


def _summary(answer) -> dict:
    if not isinstance(answer, dict):
        return {}
    return {key: value for key, value in answer.items() if isinstance(value, str | int | bool | float)}
