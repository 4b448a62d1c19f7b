"""Alerts the refunds app raises, through the ops app's `alert_raise` (core level)."""

import logging

from orderhub.ops.services.alerts import alert_clear, alert_raise

logger = logging.getLogger(__name__)
UNMAPPED_KIND = "refund_status_unmapped"
ESCALATION_KIND = "other"


def unmapped_key(platform: str, raw_status: str, refund_type: str) -> str:
    return f"{platform}:{raw_status}:{refund_type}"


def unmapped_status_alarm(*, platform: str, raw_status: str, refund_type: str, waiting: int) -> None:
    alert_raise(
        kind=UNMAPPED_KIND,
        key=unmapped_key(platform, raw_status, refund_type),
        value=waiting,
        message=(
            f"{platform} refund status {raw_status!r} ({refund_type}) is not in the refund status mapping: "
            f"{waiting} refund(s) wait for it to be mapped"
        ),
        details={
            "platform": platform,
            "raw_status": raw_status,
            "refund_type": refund_type,
            "waiting": waiting,
        },
    )


def unmapped_status_clear(*, platform: str, raw_status: str, refund_type: str) -> None:
    alert_clear(kind=UNMAPPED_KIND, key=unmapped_key(platform, raw_status, refund_type))


def escalation_alarm(*, refund, waited_hours: float) -> None:
    from orderhub.ops.models import AlertLevel

    alert_raise(
        kind=ESCALATION_KIND,
        key=f"refund-escalation:{refund.pk}",
        value=waited_hours,
        level=AlertLevel.CRITICAL,
        message=(
            f"Refund {refund.shop.code}/{refund.platform_refund_id} ({refund.amount} {refund.currency}) "
            f"has waited {waited_hours:.0f} h for a reviewer: escalated to the supervisor"
        ),
        details={"refund_id": refund.pk, "order_id": refund.order_id, "waited_hours": round(waited_hours, 1)},
    )
