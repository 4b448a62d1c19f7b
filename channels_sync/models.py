"""What arrives from the platforms, stored before anything reads it, and how each pull went."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orderhub.fields import EncryptedJSONField, EncryptedTextField
from orderhub.models import Platform, Shop


class InboundStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    PROCESSING = "processing", _("processing")
    DONE = "done", _("done")
    FAILED = "failed", _("failed, will retry")
    DEAD = "dead", _("dead letter")
    IGNORED = "ignored", _("ignored")


class InboundSource(models.TextChoices):
    PUSH = "push", _("push")
    PULL = "pull", _("pull")
    INGEST = "ingest", _("ingestion API")
    IMPORT = "import", _("sheet import")


class InboundKind(models.TextChoices):
    ORDER = "order", _("order")
    REFUND = "refund", _("refund")
    OTHER = "other", _("other")


class InboundEvent(models.Model):
    """One raw payload from a channel: kept (encrypted: it carries personal data) until processed.

    A payload that cannot be processed stays here with its error — the dead-letter list — and can be
    replayed once the cause is fixed. The same payload twice is stored once (hash).
    """

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    # No index of its own: (shop, status) starts with it.
    shop = models.ForeignKey(
        Shop,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shop"),
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=8, choices=InboundSource.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=InboundKind.choices, default=InboundKind.ORDER)
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    message_id = models.CharField(_("message id"), max_length=128, blank=True)
    needs_fetch = models.BooleanField(_("fetch detail"), default=False)
    payload = EncryptedTextField(_("payload"))
    # Kept for a push that could not be parsed, so a replay after a fix can parse it again.
    push_headers = models.JSONField(_("push headers"), default=dict, blank=True)
    payload_hash = models.CharField(_("payload hash"), max_length=64)
    status = models.CharField(
        _("status"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    platform_updated_at = models.DateTimeField(_("changed on platform"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    available_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, blank=True)
    order_id = models.BigIntegerField(_("order"), null=True, blank=True)
    # A refund payload's cases as its platform mapping read them (NormalizedRefund JSON), for the refunds app.
    normalized = EncryptedJSONField(_("normalized refunds"), null=True, blank=True, default=None)

    class Meta:
        verbose_name = _("inbound payload")
        verbose_name_plural = _("inbound payloads")
        ordering = ["-received_at", "-id"]
        permissions = [("replay_inboundevent", _("Can replay inbound payloads"))]
        constraints = [
            models.UniqueConstraint(fields=["platform", "payload_hash"], name="inbound_payload_once"),
        ]
        indexes = [
            models.Index(
                fields=["status", "id"],
                name="inbound_status_idx",
                condition=Q(status__in=["pending", "processing", "failed"]),
            ),
            models.Index(fields=["shop", "status"], name="inbound_shop_status_idx"),
            # Not db_index=True, which on PostgreSQL adds an unused LIKE-pattern index (see Order.Meta).
            models.Index(fields=["external_id"], name="inbound_external_id_idx"),
        ]

    def __str__(self):
        return f"{self.platform} {self.kind} {self.external_id or self.pk} ({self.status})"


class SyncKind(models.TextChoices):
    PULL = "pull", _("incremental pull")
    BACKFILL = "backfill", _("back-fill")
    MANUAL = "manual", _("operator pull")
    COUNT_CHECK = "count_check", _("daily count check")


class SyncRun(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_runs", verbose_name=_("shop"))
    kind = models.CharField(_("kind"), max_length=12, choices=SyncKind.choices)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), null=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    orders_new = models.PositiveIntegerField(_("new"), default=0)
    orders_updated = models.PositiveIntegerField(_("updated"), default=0)
    orders_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["shop", "kind", "-started_at"], name="syncrun_shop_kind_idx")]

    def __str__(self):
        return f"{self.shop.code} {self.kind} {self.window_start:%m-%d %H:%M}–{self.window_end:%H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ShopSyncState(models.Model):
    """Where each shop's incremental pull stands: the cursor only moves once every page is stored."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="sync_state")
    cursor = models.DateTimeField(_("pulled up to"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful pull"), null=True, blank=True)
    auth_error = models.TextField(_("authorisation problem"), blank=True)

    class Meta:
        verbose_name = _("shop sync state")
        verbose_name_plural = _("shop sync states")

    def __str__(self):
        return f"{self.shop.code} @ {self.cursor}"


class DrainLease(models.Model):
    """Which drain is gathering payloads now. Drains commit batch by batch, so this is a lease with an
    expiry (renewed on every batch), not a row lock held for the drain: a worker that dies leaves it to
    expire."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    holder = models.CharField(_("holder"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("drain lease")
        verbose_name_plural = _("drain leases")

    def __str__(self):
        return f"{self.name}: {self.holder or '-'}"
