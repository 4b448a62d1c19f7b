"""Alert evaluation: probes read the order flow and say which conditions hold now; each holding condition
is raised (sent only when new or worse), each one gone is resolved.

Probes are listed in settings.OPS_ALERT_PROBES as dotted paths. Those reading only core data live here;
probes reading other apps (sync failures, stock) live in the project wiring (orderhub.dashboard.probes),
so this app stays at the core layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from orderhub.events import Actor
from orderhub.exceptions import ApplicationError
from orderhub.locks import lock_order
from orderhub.ops import selectors
from orderhub.ops.models import AlertKind, AlertLevel
from orderhub.ops.services.alerts import alert_raise, alerts_clear_except
from orderhub.services.holds import hold_place

log = logging.getLogger(__name__)

DEFAULT_PROBES = [
    "orderhub.ops.services.evaluate.backlog_probe",
    "orderhub.ops.services.evaluate.inflow_probe",
    "orderhub.ops.services.evaluate.stuck_probe",
]


@dataclass(frozen=True)
class Reading:
    key: str
    value: float
    message: str
    level: int = AlertLevel.WARNING
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeResult:
    """Every condition of one kind that holds now; alerts of that kind with other keys are resolved."""

    kind: str
    readings: list[Reading]


def _setting(name: str, default):
    return getattr(settings, name, default)


def backlog_probe(now: datetime) -> ProbeResult:
    backlog = selectors.backlog(now=now)
    threshold = _setting("OPS_BACKLOG_ALERT_ORDERS", 200)
    readings = []
    if backlog.count >= threshold:
        critical = backlog.clears_at is None or backlog.count >= 2 * threshold
        readings.append(
            Reading(
                key="all",
                value=backlog.count,
                message=backlog.message(),
                level=AlertLevel.CRITICAL if critical else AlertLevel.WARNING,
                details={
                    "backlog": backlog.count,
                    "rate_per_minute": round(backlog.rate_per_minute, 1),
                    "clears_at": backlog.clears_at_text,
                    "oldest_minutes": backlog.age_minutes,
                },
            )
        )
    return ProbeResult(AlertKind.BACKLOG, readings)


def inflow_probe(now: datetime) -> ProbeResult:
    threshold = _setting("OPS_INFLOW_ALERT_PER_MINUTE", 500)
    count = selectors.inflow_per_minute(now=now)
    readings = []
    if count > threshold:
        readings.append(
            Reading(
                key="all",
                value=count,
                message=f"订单流入:{count}单/分钟,超过阈值{threshold}单/分钟",
                level=AlertLevel.CRITICAL if count > 2 * threshold else AlertLevel.WARNING,
                details={"per_minute": count, "threshold": threshold},
            )
        )
    return ProbeResult(AlertKind.INFLOW, readings)


def stuck_probe(now: datetime) -> ProbeResult:
    """Alerts on the open stuck holds per status (the scan opens them)."""
    limits = selectors.stuck_limits()
    readings = [
        Reading(
            key=status,
            value=count,
            message=f"{count}单在状态「{status}」停留超过{limits.get(status, '?')}分钟,已挂起待处理",
            details={"status": status, "orders": count, "limit_minutes": limits.get(status)},
        )
        for status, count in selectors.stuck_open_counts().items()
        if count
    ]
    return ProbeResult(AlertKind.STUCK_ORDER, readings)


def stuck_orders_scan(*, now: datetime | None = None) -> int:
    """Opens a stuck hold (a ticket for staff) on every order in one status longer than its limit."""
    now = now or timezone.now()
    actor = Actor.system("stuck-order scan")
    limits = selectors.stuck_limits()
    opened = 0
    for status, order_ids in selectors.stuck_orders(now=now).items():
        for order_id in order_ids:
            try:
                with transaction.atomic():
                    order = lock_order(order_id)
                    if order.status != status:
                        continue
                    hold_place(
                        order=order,
                        kind="stuck",
                        reason=f"in status {status} longer than {limits[status]} minutes",
                        actor=actor,
                        details={"status": status, "limit_minutes": limits[status]},
                    )
                    opened += 1
            except ApplicationError as exc:
                log.warning("stuck-order scan skipped order %s: %s", order_id, exc.message)
    return opened


def probes() -> list[Callable[[datetime], ProbeResult]]:
    return [import_string(path) for path in _setting("OPS_ALERT_PROBES", DEFAULT_PROBES)]


def alerts_evaluate(*, now: datetime | None = None) -> dict[str, int]:
    """Runs every probe; a probe that fails is logged and leaves its alerts as they are."""
    now = now or timezone.now()
    summary: dict[str, int] = {}
    for probe in probes():
        try:
            result = probe(now)
        except Exception:
            log.exception("alert probe %s failed", getattr(probe, "__name__", probe))
            continue
        for reading in result.readings:
            alert_raise(
                kind=result.kind,
                key=reading.key,
                value=reading.value,
                message=reading.message,
                level=reading.level,
                details=reading.details,
            )
        alerts_clear_except(kind=result.kind, keys={r.key for r in result.readings})
        summary[result.kind] = len(result.readings)
    return summary
