"""Raising, clearing and acknowledging alerts. Other apps call `alert_raise` (it is core-level)."""

from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from orderhub.exceptions import InvalidInput, NotFound
from orderhub.ops.locks import lock_active_alert, lock_alert
from orderhub.ops.models import Alert, AlertChannel, AlertKind, AlertLevel, AlertNotification, AlertStatus

# Other spellings callers may use for a kind.
KIND_ALIASES = {
    "unmapped_refund_status": AlertKind.REFUND_STATUS_UNMAPPED,
    "refund_status": AlertKind.REFUND_STATUS_UNMAPPED,
    "stuck": AlertKind.STUCK_ORDER,
    "sync_failure": AlertKind.SYNC_FAILURES,
    "out_of_stock": AlertKind.PURCHASING,
}


def _kind(kind: str) -> str:
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in AlertKind.values:
        raise InvalidInput(f"unknown alert kind {kind!r}; known: {', '.join(AlertKind.values)}")
    return kind


def _default_owner_id(kind: str) -> int | None:
    username = getattr(settings, "OPS_ALERT_OWNERS", {}).get(kind)
    if not username:
        return None
    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


def alert_raise(
    *,
    kind: str,
    key: str,
    value: float,
    message: str,
    level: int = AlertLevel.WARNING,
    details: dict | None = None,
    owner_id: int | None = None,
) -> Alert:
    """Raises the alert (kind, key) or updates it while it lasts.

    It is sent to its channels when it first appears and again only when `value` is worse (higher)
    than the value last sent or its level rose; an acknowledged alert that gets worse opens again.
    Safe to call inside the caller's transaction and from concurrent workers.
    `kind` is one of AlertKind ("purchasing", "refund_status_unmapped", ...); `key` tells instances
    apart (a shop, a SKU, a platform status); `value` is a number where higher means worse.
    """
    kind = _kind(kind)
    key = str(key)[:128]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"alert value must be a number, not {value!r}") from None
    if not message:
        raise InvalidInput("an alert needs a message")
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                alert = lock_active_alert(kind=kind, key=key)
                if alert is None:
                    alert = Alert.objects.create(
                        kind=kind,
                        key=key,
                        level=level,
                        value=value,
                        message=message,
                        details=details or {},
                        owner_id=owner_id or _default_owner_id(kind),
                        last_raised_at=now,
                    )
                    _fire(alert, now)
                    return alert
                worse = (alert.notified_value is None or value > alert.notified_value) or level > alert.level
                alert.value = value
                alert.message = message
                alert.details = details or alert.details
                alert.last_raised_at = now
                if owner_id:
                    alert.owner_id = owner_id
                if worse:
                    alert.level = max(level, alert.level)
                    alert.status = AlertStatus.OPEN
                    _fire(alert, now)
                alert.save()
                return alert
        except IntegrityError:
            # Another worker created the same alert between our read and insert: update that one.
            continue
    raise InvalidInput(f"could not raise alert {kind}/{key}: concurrent updates")


def _fire(alert: Alert, now) -> None:
    alert.notified_value = alert.value
    alert.fire_count += 1
    alert.last_fired_at = now
    alert.save()
    text = alert_text(alert)
    channels = [channel for channel in AlertChannel.objects.filter(active=True) if channel.wants(alert)]
    AlertNotification.objects.bulk_create(
        [AlertNotification(alert=alert, channel=channel, text=text) for channel in channels]
    )
    if channels:
        from django_q.tasks import async_task

        transaction.on_commit(partial(async_task, "orderhub.ops.tasks.channels_flush", task_name="ops:flush"))


def alert_text(alert: Alert) -> str:
    """Markdown for the robots, in the console's default language (zh-hans), whoever raised it."""
    level = "🔴" if alert.level >= AlertLevel.CRITICAL else "🟠"
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(alert.get_kind_display())
    return f"{level} **{kind}** {alert.key}\n{alert.message}"


def alert_clear(*, kind: str, key: str) -> Alert | None:
    """The condition went away: the alert is resolved; a later raise starts a new one."""
    kind = _kind(kind)
    with transaction.atomic():
        alert = lock_active_alert(kind=kind, key=str(key)[:128])
        if alert is None:
            return None
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = timezone.now()
        alert.save(update_fields=["status", "resolved_at"])
        return alert


def alerts_clear_except(*, kind: str, keys: set[str]) -> int:
    """Resolves every active alert of this kind whose key is not among the ones still true."""
    kind = _kind(kind)
    stale = (
        Alert.objects.filter(kind=kind).exclude(status=AlertStatus.RESOLVED).exclude(key__in=keys)
    ).values_list("key", flat=True)
    count = 0
    for key in list(stale):
        if alert_clear(kind=kind, key=key) is not None:
            count += 1
    return count


def alert_acknowledge(*, alert_id: int, user) -> Alert:
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert is None:
            raise NotFound(f"alert {alert_id} does not exist")
        if alert.status == AlertStatus.RESOLVED:
            raise InvalidInput(f"alert {alert_id} is already resolved")
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        if alert.owner_id is None:
            alert.owner = user
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "owner"])
        return alert


def alert_assign(*, alert_id: int, owner) -> Alert:
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert is None:
            raise NotFound(f"alert {alert_id} does not exist")
        alert.owner = owner
        alert.save(update_fields=["owner"])
        return alert
