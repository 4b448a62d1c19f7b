"""The refund status-mapping table: lookups, edits with their history, re-evaluation of waiting refunds."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from refunds.alarms import unmapped_status_clear
from refunds.models import Refund, RefundStatus, RefundStatusMapping, RefundStatusMappingChange, RefundType


def mapped_status(*, platform: str, raw_status: str, refund_type: str) -> str | None:
    """The standard status for this platform's raw status: a type-specific row wins over an any-type one."""
    rows = dict(
        RefundStatusMapping.objects.filter(
            platform=platform, raw_status=raw_status, refund_type__in=(refund_type, "")
        ).values_list("refund_type", "status")
    )
    return rows.get(refund_type) or rows.get("")


def mapping_save(
    *,
    platform: str,
    raw_status: str,
    refund_type: str,
    status: str,
    note: str = "",
    user=None,
    mapping_id: int | None = None,
) -> tuple[RefundStatusMapping, int]:
    """Creates or changes one mapping row, writes its change row, and re-evaluates every refund it now
    decides (unmapped ones first of all). Returns the row and how many refunds were re-evaluated."""
    raw_status = (raw_status or "").strip()
    if not raw_status:
        raise InvalidInput(_("The platform status is required."))
    if status not in RefundStatus.values:
        raise InvalidInput(_("Unknown standard status %(status)s.") % {"status": status})
    if refund_type and refund_type not in RefundType.values:
        raise InvalidInput(_("Unknown refund type %(type)s.") % {"type": refund_type})
    with transaction.atomic():
        if mapping_id:
            mapping = RefundStatusMapping.objects.select_for_update().get(pk=mapping_id)
            old = (mapping.platform, mapping.raw_status, mapping.refund_type, mapping.status)
        else:
            mapping = RefundStatusMapping.objects.filter(
                platform=platform, raw_status=raw_status, refund_type=refund_type
            ).first() or RefundStatusMapping(
                platform=platform, raw_status=raw_status, refund_type=refund_type
            )
            old = (platform, raw_status, refund_type, mapping.status if mapping.pk else "")
        mapping.platform, mapping.raw_status, mapping.refund_type = platform, raw_status, refund_type
        mapping.status, mapping.note = status, note
        mapping.save()
        change = RefundStatusMappingChange.objects.create(
            mapping=mapping,
            platform=platform,
            raw_status=raw_status,
            refund_type=refund_type,
            old_status=old[3] if old[:3] == (platform, raw_status, refund_type) else "",
            new_status=status,
            user=user if getattr(user, "pk", None) else None,
        )
    actor = Actor.of_user(user) if getattr(user, "pk", None) else Actor.system("refund status mapping")
    count = refunds_reevaluate(platform=platform, raw_status=raw_status, refund_type=refund_type, actor=actor)
    RefundStatusMappingChange.objects.filter(pk=change.pk).update(reevaluated=count)
    return mapping, count


def refunds_reevaluate(*, platform: str, raw_status: str, refund_type: str, actor: Actor) -> int:
    """Maps again every refund with this raw status (and type, when the row names one)."""
    from refunds.services.apply import refund_remap

    refunds = Refund.objects.filter(shop__platform=platform, raw_status=raw_status)
    if refund_type:
        refunds = refunds.filter(type=refund_type)
    count = 0
    for refund_id in refunds.order_by("pk").values_list("pk", flat=True):
        if refund_remap(refund_id=refund_id, actor=actor):
            count += 1
    types = [refund_type] if refund_type else list(RefundType.values)
    for kind in types:
        if not Refund.objects.filter(
            shop__platform=platform, raw_status=raw_status, type=kind, unmapped=True
        ).exists():
            unmapped_status_clear(platform=platform, raw_status=raw_status, refund_type=kind)
    return count
