"""The only place the ops app locks rows."""

from orderhub.ops.models import Alert, AlertChannel, AlertStatus, WebhookDelivery


def lock_active_alert(*, kind: str, key: str) -> Alert | None:
    return (
        Alert.objects.select_for_update()
        .filter(kind=kind, key=key)
        .exclude(status=AlertStatus.RESOLVED)
        .order_by("pk")
        .first()
    )


def lock_alert(alert_id: int) -> Alert | None:
    return Alert.objects.select_for_update().filter(pk=alert_id).first()


def lock_channel(channel_id: int) -> AlertChannel | None:
    return AlertChannel.objects.select_for_update().filter(pk=channel_id).first()


def lock_delivery(delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
