"""What a refund's state means for its order: stop the parcel before shipping (hold, waybill voided,
stock released once approved), expect the parcel back after shipping, and ask the policy what to do."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fulfillment.services.stock import allocations_release
from fulfillment.services.waybills import order_waybills_void
from orderhub.events import Actor
from orderhub.exceptions import ApplicationError
from orderhub.locks import lock_order
from orderhub.models import Hold, HoldStatus
from orderhub.services.holds import hold_place, holds_resolve_for_order
from orderhub.status import HoldKind, OrderStatus
from refunds import rules
from refunds.events import refund_event
from refunds.locks import lock_refund
from refunds.models import ParcelState, Refund, RefundStatus, ReturnParcel, ReviewState

SHIPPED = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)
OPEN = (RefundStatus.REQUESTED, RefundStatus.APPROVED)


def refund_followup(*, refund_id: int, actor: Actor) -> None:
    refund = Refund.objects.select_related("order", "shop").get(pk=refund_id)
    if refund.unmapped:
        return  # waits for its status to be mapped; re-evaluated then
    order = refund.order
    if order is not None:
        shipped = order.status in SHIPPED
        if rules.refund_intercepts(
            status=refund.status, order_shipped=shipped, order_cancelled=order.status == OrderStatus.CANCELLED
        ):
            refund_intercept(refund_id=refund.pk, actor=actor)
        elif refund.intercepted and refund.status in (RefundStatus.REJECTED, RefundStatus.CLOSED):
            intercept_lift(refund_id=refund.pk, actor=actor)
        if refund.intercepted and refund.status in (RefundStatus.APPROVED, RefundStatus.REFUNDED):
            stock_release_on_approval(refund_id=refund.pk, actor=actor)
        if rules.return_expected(status=refund.status, refund_type=refund.type, order_shipped=shipped):
            return_expect(refund_id=refund.pk, actor=actor)
    refund.refresh_from_db()
    if refund.status == RefundStatus.REQUESTED and not refund.decision:
        from refunds.services.policy import refund_policy_apply

        refund_policy_apply(refund_id=refund.pk, actor=actor)
    elif refund.status != RefundStatus.REQUESTED and refund.review_state in (
        ReviewState.QUEUED, ReviewState.ESCALATED, ReviewState.WAITING,
    ):  # fmt: skip
        # The platform moved on (the buyer cancelled, the platform decided): nothing left to review.
        Refund.objects.filter(pk=refund.pk).update(review_state=ReviewState.DONE, updated_at=timezone.now())
        refund_event(refund, "review_closed", actor, status=refund.status)


def refund_intercept(*, refund_id: int, actor: Actor) -> bool:
    """Stops the order: a refund hold (the wave, pick list and pack-scan see it) and its waybill voided."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    with transaction.atomic():
        order = lock_order(refund.order_id)
        refund = lock_refund(refund_id)
        if order.status in SHIPPED or order.status == OrderStatus.CANCELLED:
            return False
        hold_place(
            order=order,
            kind=HoldKind.REFUND,
            reason=f"refund {refund.platform_refund_id} requested ({refund.amount} {refund.currency}): "
            "do not ship",
            actor=actor,
            details={
                "refund_id": refund.pk,
                "platform_refund_id": refund.platform_refund_id,
                "amount": str(refund.amount),
                "status": refund.status,
            },
        )
        first = not refund.intercepted
        if first:
            refund.intercepted = True
            refund.save(update_fields=["intercepted", "updated_at"])
            refund.order = order
            refund_event(refund, "intercepted", actor, order_status=order.status)
    if first:
        _void_waybills(refund, order, actor)
    return first


def _void_waybills(refund: Refund, order, actor: Actor) -> None:
    """Voids the order's waybills through the warehouse's waybill service; a refusal (the parcel left
    meanwhile) is recorded on the refund, and the hold still stands."""
    try:
        voided = order_waybills_void(
            order=order, reason=f"refund {refund.platform_refund_id} requested", actor=actor
        )
    except ApplicationError as exc:
        refund_event(refund, "waybill_not_voided", actor, reason=exc.message)
        return
    if voided:
        refund_event(refund, "waybills_voided", actor, numbers=[waybill.number for waybill in voided])


def intercept_lift(*, refund_id: int, actor: Actor) -> None:
    """The refund was rejected or closed: the order may ship again, unless another refund still stops it."""
    refund = Refund.objects.get(pk=refund_id)
    with transaction.atomic():
        order = lock_order(refund.order_id)
        others = Refund.objects.filter(order=order, intercepted=True, status__in=OPEN).exclude(pk=refund_id)
        if not others.exists():
            holds_resolve_for_order(
                order=order,
                kinds={HoldKind.REFUND},
                actor=actor,
                note=f"refund {refund.platform_refund_id} {refund.status}: the order may ship",
            )
        Refund.objects.filter(pk=refund_id).update(intercepted=False, updated_at=timezone.now())
        refund.order = order
        refund_event(refund, "intercept_lifted", actor, status=refund.status)


def _covers_order(refund: Refund) -> bool:
    order = refund.order
    return refund.amount >= order.paid_amount or (refund.type == "refund_only" and not refund.lines.exists())


def stock_release_on_approval(*, refund_id: int, actor: Actor) -> int:
    """An approved refund of a stopped order gives its reserved stock back (the whole order's, when the
    refund covers it; a partial refund keeps the hold open for a person to split the order)."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    if not _covers_order(refund):
        if not refund.events.filter(type="partial_refund_kept").exists():
            refund_event(
                refund,
                "partial_refund_kept",
                actor,
                amount=str(refund.amount),
                paid=str(refund.order.paid_amount),
            )
        return 0
    released = allocations_release(
        order_id=refund.order_id, actor=actor, reason=f"refund {refund.platform_refund_id} approved"
    )
    if released:
        refund_event(refund, "stock_released", actor, allocations=released)
    return released


def return_expect(*, refund_id: int, actor: Actor) -> ReturnParcel:
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    parcel, created = ReturnParcel.objects.get_or_create(
        refund=refund,
        defaults={
            "order": refund.order,
            "tracking_number": refund.return_tracking_number,
            "state": ParcelState.EXPECTED,
        },
    )
    if (
        not created
        and refund.return_tracking_number
        and parcel.tracking_number != refund.return_tracking_number
    ):
        ReturnParcel.objects.filter(pk=parcel.pk).update(tracking_number=refund.return_tracking_number)
    if created or not refund.return_expected:
        Refund.objects.filter(pk=refund_id).update(return_expected=True, updated_at=timezone.now())
        refund_event(refund, "return_expected", actor, tracking_number=refund.return_tracking_number)
    return parcel


def open_refund_hold(order_id: int) -> Hold | None:
    return Hold.objects.filter(order_id=order_id, kind=HoldKind.REFUND, status=HoldStatus.OPEN).first()
