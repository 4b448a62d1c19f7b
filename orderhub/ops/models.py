"""Operations: alerts and where they are sent, outbound webhooks and their delivery log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    BACKLOG = "backlog", _("backlog")
    INFLOW = "inflow", _("inflow above threshold")
    STUCK_ORDER = "stuck_order", _("stuck orders")
    SYNC_FAILURES = "sync_failures", _("sync failures")
    REFUND_STATUS_UNMAPPED = "refund_status_unmapped", _("unmapped refund status")
    LOW_STOCK = "low_stock", _("low stock with open orders")
    PURCHASING = "purchasing", _("purchasing needed")
    OTHER = "other", _("other")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESOLVED = "resolved", _("resolved")


class AlertLevel(models.IntegerChoices):
    WARNING = 1, _("warning")
    CRITICAL = 2, _("critical")


class Alert(models.Model):
    """One condition (kind + key, e.g. sync failures of shop 3) while it lasts.

    `value` measures how bad it is (orders in the backlog, failures in the hour); the alert is sent
    again only when the value rises above the one last sent (`notified_value`).
    """

    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices, db_index=True)
    key = models.CharField(_("key"), max_length=128, blank=True)
    level = models.PositiveSmallIntegerField(
        _("level"), choices=AlertLevel.choices, default=AlertLevel.WARNING
    )
    value = models.FloatField(_("value"))
    notified_value = models.FloatField(_("value last sent"), null=True, blank=True)
    message = models.TextField(_("message"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    fire_count = models.PositiveIntegerField(_("times sent"), default=0)
    first_raised_at = models.DateTimeField(_("first raised at"), auto_now_add=True, db_index=True)
    last_raised_at = models.DateTimeField(_("last raised at"))
    last_fired_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=~Q(status="resolved"), name="ops_alert_one_active_per_key"
            )
        ]
        permissions = [
            ("acknowledge_alert", _("Can acknowledge alerts")),
            ("view_dashboard", _("Can view the operations dashboard")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}".strip()


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    EMAIL = "email", _("e-mail")


class AlertChannel(models.Model):
    """Where alerts go. Robots accept about 20 messages a minute; alerts waiting are sent in one message."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    webhook_url = models.URLField(_("robot webhook URL"), max_length=500, blank=True)
    secret = models.CharField(
        _("signing secret"), max_length=128, blank=True, help_text=_("DingTalk robots with 加签 only.")
    )
    recipients = models.TextField(_("e-mail recipients"), blank=True, help_text=_("Comma-separated."))
    kinds = models.JSONField(
        _("alert kinds"), default=list, blank=True, help_text=_('Empty: every kind, e.g. ["backlog"].')
    )
    min_level = models.PositiveSmallIntegerField(
        _("lowest level sent"), choices=AlertLevel.choices, default=AlertLevel.WARNING
    )
    rate_per_minute = models.PositiveSmallIntegerField(_("messages per minute at most"), default=20)
    max_alerts_per_message = models.PositiveSmallIntegerField(_("alerts per message at most"), default=10)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alert channel")
        verbose_name_plural = _("alert channels")
        constraints = [
            models.CheckConstraint(condition=Q(rate_per_minute__gte=1), name="ops_channel_rate_positive"),
            models.CheckConstraint(
                condition=Q(max_alerts_per_message__gte=1), name="ops_channel_batch_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def wants(self, alert: Alert) -> bool:
        return self.active and alert.level >= self.min_level and (not self.kinds or alert.kind in self.kinds)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class AlertNotification(models.Model):
    """One firing of an alert waiting for (or sent through) one channel: the outbox."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(AlertChannel, on_delete=models.CASCADE, related_name="notifications")
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    message = models.ForeignKey(
        "ChannelMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("alert notification")
        verbose_name_plural = _("alert notifications")
        indexes = [models.Index(fields=["channel", "status"], name="ops_notif_channel_status")]

    def __str__(self) -> str:
        return f"{self.alert} → {self.channel}"


class ChannelMessage(models.Model):
    """One message sent to a channel (it may carry several alerts); the rate limit counts these."""

    channel = models.ForeignKey(AlertChannel, on_delete=models.CASCADE, related_name="messages")
    body = models.JSONField(_("body"), default=dict)
    ok = models.BooleanField(_("delivered"), default=False)
    response = models.TextField(_("response"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)

    class Meta:
        verbose_name = _("channel message")
        verbose_name_plural = _("channel messages")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.channel} {self.sent_at:%Y-%m-%d %H:%M:%S}"


class WebhookSubscription(models.Model):
    """The seller's other systems (ERP, CRM, finance, survey) hearing about domain events."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=128, help_text=_("HMAC-SHA256 key."))
    events = models.JSONField(_("events"), default=list, help_text=_('e.g. ["order.paid", "order.shipped"]'))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    RETRYING = "retrying", _("retrying")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event = models.CharField(_("event"), max_length=48, db_index=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        permissions = [("replay_webhookdelivery", _("Can replay webhook deliveries"))]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class EventCursor(models.Model):
    """How far a poller has read a table (e.g. holds announced as "order.held")."""

    name = models.CharField(_("name"), max_length=48, unique=True)
    last_id = models.BigIntegerField(_("last id"), default=0)

    class Meta:
        verbose_name = _("event cursor")
        verbose_name_plural = _("event cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_id}"
