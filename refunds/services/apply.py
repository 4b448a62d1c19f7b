"""refund_apply: one normalized case into the Refund table — idempotent per shop + platform refund id,
the newer platform change wins, the status from the mapping table (unmapped: flagged and alarmed, never
guessed) — then what follows from it (intercept, expected return, policy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.models import Order, Shop
from orderhub.normalized_refund import NormalizedRefund
from refunds.alarms import unmapped_status_alarm
from refunds.events import refund_event
from refunds.locks import lock_refund, lock_refund_by_key
from refunds.models import Refund, RefundLine
from refunds.services.mapping import mapped_status

CREATED, UPDATED, UNCHANGED, STALE = "created", "updated", "unchanged", "stale"
TRACKED = (
    "type", "raw_type", "raw_status", "status", "unmapped", "amount", "currency", "reason", "phase",
    "disputed", "return_tracking_number", "order_id",
)  # fmt: skip


@dataclass(frozen=True)
class ApplyOutcome:
    refund_id: int
    result: str
    status: str


def refund_apply(
    *, shop: Shop, incoming: NormalizedRefund, actor: Actor, stored_at: datetime | None = None
) -> ApplyOutcome:
    """Applies one case. Two workers applying the same new case at once: the second insert hits the
    unique (shop, platform refund id) constraint and is applied again as an update, never twice."""
    try:
        return _apply(shop=shop, incoming=incoming, actor=actor, stored_at=stored_at)
    except IntegrityError:
        return _apply(shop=shop, incoming=incoming, actor=actor, stored_at=stored_at)


def _apply(
    *, shop: Shop, incoming: NormalizedRefund, actor: Actor, stored_at: datetime | None
) -> ApplyOutcome:
    status = mapped_status(
        platform=shop.platform, raw_status=incoming.raw_status, refund_type=incoming.refund_type
    )
    order_id = (
        Order.objects.filter(shop=shop, platform_order_id=incoming.platform_order_id)
        .values_list("pk", flat=True)
        .first()
    )
    with transaction.atomic():
        order = lock_order(order_id) if order_id else None  # lock order: Order before Refund
        refund = lock_refund_by_key(shop_id=shop.pk, platform_refund_id=incoming.platform_refund_id)
        if refund is not None and _older(incoming.platform_modified_at, refund.platform_modified_at):
            return ApplyOutcome(refund.pk, STALE, refund.status)
        created = refund is None
        refund = refund or Refund(shop=shop, platform_refund_id=incoming.platform_refund_id)
        before = {name: getattr(refund, name) for name in TRACKED} if not created else {}
        _fill(refund, incoming, status, order, stored_at)
        changed = (
            [name for name in TRACKED if before.get(name) != getattr(refund, name)] if not created else []
        )
        refund.save()
        if created or changed or not refund.lines.exists():
            _lines_replace(refund, incoming, order)
        if created:
            refund_event(
                refund,
                "received",
                actor,
                status=refund.status,
                raw_status=refund.raw_status,
                amount=str(refund.amount),
                type=refund.type,
            )
        elif changed:
            refund_event(
                refund,
                "changed",
                actor,
                fields=changed,
                status=refund.status,
                raw_status=refund.raw_status,
                previous_status=before["status"],
                previous_raw_status=before["raw_status"],
            )
        if refund.unmapped and (created or "raw_status" in changed or "unmapped" in changed):
            refund_event(refund, "status_unmapped", actor, raw_status=refund.raw_status, type=refund.type)
            _alarm_unmapped(refund)
    result = CREATED if created else UPDATED if changed else UNCHANGED
    if result != UNCHANGED:
        from refunds.services.flow import refund_followup

        refund_followup(refund_id=refund.pk, actor=actor)
    return ApplyOutcome(refund.pk, result, refund.status)


def _older(incoming: datetime | None, stored: datetime | None) -> bool:
    return incoming is not None and stored is not None and incoming < stored


def _fill(
    refund: Refund, incoming: NormalizedRefund, status: str | None, order: Order | None, stored_at
) -> None:
    refund.platform_order_id = incoming.platform_order_id
    refund.order = order
    refund.type = incoming.refund_type
    refund.raw_type = incoming.raw_type[:32]
    refund.raw_status = incoming.raw_status[:64]
    refund.status = status or ""
    refund.unmapped = status is None
    refund.amount = incoming.amount
    refund.currency = incoming.currency[:3] or "CNY"
    refund.reason = incoming.reason[:300]
    refund.phase = incoming.phase
    refund.buyer_id = (incoming.buyer_id or (order.buyer_id if order else ""))[:128]
    refund.disputed = incoming.disputed
    refund.return_tracking_number = incoming.return_tracking_number[:64]
    refund.platform_created_at = incoming.created_at
    refund.platform_modified_at = incoming.platform_modified_at
    refund.raw_payload = incoming.to_json()
    refund.stored_at = stored_at or timezone.now()
    if incoming.platform_modified_at is not None:
        delay = (refund.stored_at - incoming.platform_modified_at).total_seconds()
        refund.sync_delay_seconds = max(delay, 0.0)


def _lines_replace(refund: Refund, incoming: NormalizedRefund, order: Order | None) -> None:
    order_lines = list(order.lines.all()) if order else []
    by_line_id = {line.platform_line_id: line for line in order_lines if line.platform_line_id}
    by_code = {}
    for line in order_lines:
        by_code.setdefault(line.outer_sku_code, line)
        by_code.setdefault(line.platform_sku_id, line)
    rows = []
    for item in incoming.lines:
        matched = (
            by_line_id.get(item.platform_line_id)
            or by_code.get(item.outer_sku_code)
            or by_code.get(item.platform_sku_id)
        )
        rows.append(
            RefundLine(
                refund=refund,
                order_line=matched,
                platform_line_id=item.platform_line_id[:64],
                platform_sku_id=item.platform_sku_id[:64],
                outer_sku_code=item.outer_sku_code[:64],
                quantity=item.quantity,
                amount=item.amount,
            )
        )
    RefundLine.objects.filter(refund=refund).delete()
    RefundLine.objects.bulk_create(rows)


def _alarm_unmapped(refund: Refund) -> None:
    waiting = Refund.objects.filter(
        shop__platform=refund.shop.platform, raw_status=refund.raw_status, type=refund.type, unmapped=True
    ).count()
    unmapped_status_alarm(
        platform=refund.shop.platform, raw_status=refund.raw_status, refund_type=refund.type, waiting=waiting
    )


def refund_remap(*, refund_id: int, actor: Actor) -> bool:
    """Looks the refund's raw status up again (after a mapping edit); True when its status changed."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        status = mapped_status(
            platform=refund.shop.platform, raw_status=refund.raw_status, refund_type=refund.type
        )
        if (status or "") == refund.status and refund.unmapped == (status is None):
            return False
        previous = refund.status
        refund.status, refund.unmapped = status or "", status is None
        refund.save(update_fields=["status", "unmapped", "updated_at"])
        refund_event(
            refund,
            "remapped",
            actor,
            previous_status=previous,
            status=refund.status,
            raw_status=refund.raw_status,
        )
        if refund.unmapped:
            _alarm_unmapped(refund)
    from refunds.services.flow import refund_followup

    refund_followup(refund_id=refund_id, actor=actor)
    return True


def refunds_link_orders(*, actor: Actor, limit: int = 1000) -> int:
    """Cases that arrived before their order: linked once the order is here, then followed up (intercept,
    expected return, policy). Run by the review sweep."""
    orphans = list(
        Refund.objects.filter(order__isnull=True)
        .order_by("pk")
        .values_list("pk", "shop_id", "platform_order_id")[:limit]
    )
    linked = 0
    for refund_id, shop_id, platform_order_id in orphans:
        order_id = (
            Order.objects.filter(shop_id=shop_id, platform_order_id=platform_order_id)
            .values_list("pk", flat=True)
            .first()
        )
        if order_id is None:
            continue
        with transaction.atomic():
            order = lock_order(order_id)
            refund = lock_refund(refund_id)
            if refund.order_id is not None:
                continue
            refund.order = order
            refund.buyer_id = refund.buyer_id or order.buyer_id
            refund.save(update_fields=["order", "buyer_id", "updated_at"])
            refund_event(refund, "order_linked", actor, order_id=order.pk)
        from refunds.services.flow import refund_followup

        refund_followup(refund_id=refund_id, actor=actor)
        linked += 1
    return linked
