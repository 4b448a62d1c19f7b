"""Refunds and after-sales cases from every channel, in one status language; the status-mapping table
staff edit; the refund policy's settings; returned parcels and what the warehouse found in them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orderhub.fields import EncryptedJSONField
from orderhub.models import MONEY, Order, OrderLine, Platform, Shop, Sku


class RefundType(models.TextChoices):
    REFUND_ONLY = "refund_only", _("refund only")
    RETURN_AND_REFUND = "return_and_refund", _("return and refund")
    EXCHANGE = "exchange", _("exchange")
    RESEND = "resend", _("resend")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    REFUNDED = "refunded", _("refunded")
    CLOSED = "closed", _("closed")


class ReviewState(models.TextChoices):
    NONE = "", _("not in the queue")
    QUEUED = "queued", _("waiting for a reviewer")
    ESCALATED = "escalated", _("escalated to the supervisor")
    WAITING = "waiting", _("silent period")
    DONE = "done", _("decided")


class DecisionState(models.TextChoices):
    NONE = "", _("none")
    PENDING = "pending", _("sending to the platform")
    SENT = "sent", _("accepted by the platform")
    FAILED = "failed", _("refused or unreachable")


class Refund(models.Model):
    """One refund / after-sales case of a platform; the platform's own status is kept beside ours."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("shop"))
    platform_refund_id = models.CharField(_("platform refund id"), max_length=64)
    platform_order_id = models.CharField(_("platform order id"), max_length=64, db_index=True)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refunds",
        verbose_name=_("order"),
    )
    type = models.CharField(_("type"), max_length=20, choices=RefundType.choices)
    raw_type = models.CharField(_("platform type"), max_length=32, blank=True)
    raw_status = models.CharField(_("platform status"), max_length=64)
    # Empty while the raw status is unmapped: never a guess.
    status = models.CharField(_("status"), max_length=12, choices=RefundStatus.choices, blank=True)
    unmapped = models.BooleanField(_("status unmapped"), default=False, db_index=True)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    buyer_id = models.CharField(_("buyer"), max_length=128, blank=True, db_index=True)
    disputed = models.BooleanField(_("disputed"), default=False)
    return_tracking_number = models.CharField(
        _("return tracking number"), max_length=64, blank=True, db_index=True
    )
    platform_created_at = models.DateTimeField(_("requested on platform"), null=True, blank=True)
    platform_modified_at = models.DateTimeField(_("changed on platform"), null=True, blank=True)
    stored_at = models.DateTimeField(_("stored at"), null=True, blank=True)
    # Platform change → raw payload stored, in seconds (the console averages it per platform).
    sync_delay_seconds = models.FloatField(_("sync delay (s)"), null=True, blank=True)
    raw_payload = EncryptedJSONField(_("platform case"), default=dict, blank=True)
    # What happened on our side
    intercepted = models.BooleanField(_("stopped before shipping"), default=False)
    return_expected = models.BooleanField(_("return expected"), default=False)
    policy_action = models.CharField(_("policy"), max_length=16, blank=True)
    policy_reason = models.CharField(_("policy reason"), max_length=300, blank=True)
    review_state = models.CharField(
        _("review"),
        max_length=12,
        choices=ReviewState.choices,
        blank=True,
        default=ReviewState.NONE,
        db_index=True,
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    wait_until = models.DateTimeField(_("silent period ends"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_alerted = models.BooleanField(_("supervisor alerted"), default=False)
    decision = models.CharField(_("decision"), max_length=8, blank=True)  # approve | reject
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_state = models.CharField(
        _("sent to platform"),
        max_length=8,
        choices=DecisionState.choices,
        blank=True,
        default=DecisionState.NONE,
    )
    decision_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    decision_error = models.TextField(_("send error"), blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-platform_modified_at", "-id"]
        permissions = [
            ("decide_refund", _("Can approve or reject refunds")),
            ("export_reconciliation", _("Can export the reconciliation")),
            ("receive_return", _("Can receive and inspect returned parcels")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "platform_refund_id"], name="refund_shop_platform_id_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(unmapped=True, status="") | Q(unmapped=False, status__in=RefundStatus.values),
                name="refund_status_mapped_or_flagged",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status"], name="refund_shop_status_idx"),
            models.Index(fields=["review_state", "queued_at"], name="refund_review_idx"),
        ]

    def __str__(self):
        return f"{self.shop.code}/{self.platform_refund_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (RefundStatus.REQUESTED, RefundStatus.APPROVED)


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("order line"),
    )
    platform_line_id = models.CharField(_("platform line id"), max_length=64, blank=True)
    platform_sku_id = models.CharField(_("platform SKU id"), max_length=64, blank=True)
    outer_sku_code = models.CharField(_("outer SKU code"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    amount = models.DecimalField(_("amount"), **MONEY, default=0)

    class Meta:
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")
        ordering = ["refund", "id"]

    def __str__(self):
        return f"{self.outer_sku_code or self.platform_sku_id} × {self.quantity}"


class RefundEvent(models.Model):
    """The refund's own trail (append-only): received, status changes, policy, decisions sent, returns."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=48)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    actor_label = models.CharField(_("actor"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.type


class RefundStatusMapping(models.Model):
    """Platform + raw status (+ type) → standard status. Data, edited in the admin, every edit kept."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    raw_status = models.CharField(_("platform status"), max_length=64)
    refund_type = models.CharField(
        _("type"), max_length=20, choices=RefundType.choices, blank=True, help_text=_("Empty: any type.")
    )
    status = models.CharField(_("standard status"), max_length=12, choices=RefundStatus.choices)
    note = models.CharField(_("meaning"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("refund status mapping")
        verbose_name_plural = _("refund status mappings")
        ordering = ["platform", "raw_status", "refund_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "raw_status", "refund_type"], name="refund_mapping_unique"
            ),
        ]

    def __str__(self):
        return f"{self.platform} {self.raw_status} {self.refund_type or '*'} → {self.status}"


class RefundStatusMappingChange(models.Model):
    """One row per edit of the mapping table: who changed what from what to what."""

    mapping = models.ForeignKey(
        RefundStatusMapping,
        null=True,
        on_delete=models.SET_NULL,
        related_name="changes",
        verbose_name=_("mapping"),
    )
    platform = models.CharField(_("platform"), max_length=16)
    raw_status = models.CharField(_("platform status"), max_length=64)
    refund_type = models.CharField(_("type"), max_length=20, blank=True)
    old_status = models.CharField(_("from"), max_length=12, blank=True)
    new_status = models.CharField(_("to"), max_length=12, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    reevaluated = models.PositiveIntegerField(_("refunds re-evaluated"), default=0)
    changed_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund status mapping change")
        verbose_name_plural = _("refund status mapping changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.platform} {self.raw_status}: {self.old_status or '∅'} → {self.new_status or '∅'}"


class RefundPolicySettings(models.Model):
    """The refund policy's thresholds (one row): rules.py decides, these are its inputs."""

    auto_approve = models.BooleanField(_("auto-approve small refunds"), default=True)
    auto_approve_below = models.DecimalField(_("auto-approve below"), **MONEY, default=Decimal("50.00"))
    clean_history_days = models.PositiveSmallIntegerField(_("clean history looks back (days)"), default=90)
    silent_period_hours = models.PositiveSmallIntegerField(
        _("silent period after delivery (hours)"), default=24
    )
    escalation_hours = models.PositiveSmallIntegerField(
        _("escalate untouched reviews after (hours)"), default=24
    )
    no_reason_phrases = models.JSONField(
        _("no-reason phrases"),
        default=list,
        blank=True,
        help_text=_("A refund whose reason contains one of these is a no-reason refund."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("refund policy settings")
        verbose_name_plural = _("refund policy settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "RefundPolicySettings":
        return cls.objects.order_by("pk").first() or cls(no_reason_phrases=list(DEFAULT_NO_REASON_PHRASES))


DEFAULT_NO_REASON_PHRASES = ("七天无理由", "不想要了", "拍错", "多拍", "Change of mind", "no longer needed")


class RefundSyncState(models.Model):
    """Where each shop's refund poll stands: the cursor moves only once every page is stored."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="refund_sync_state")
    cursor = models.DateTimeField(_("polled up to"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    stored_last = models.PositiveIntegerField(_("cases stored by the last poll"), default=0)

    class Meta:
        verbose_name = _("refund poll state")
        verbose_name_plural = _("refund poll states")

    def __str__(self):
        return f"{self.shop.code} @ {self.cursor}"


class ParcelState(models.TextChoices):
    EXPECTED = "expected", _("expected")
    RECEIVED = "received", _("received")
    INSPECTED = "inspected", _("inspected")


class ReturnParcel(models.Model):
    """A parcel coming back: expected once a shipped order's refund asks for a return; scanned, inspected."""

    refund = models.OneToOneField(
        Refund, on_delete=models.CASCADE, related_name="parcel", verbose_name=_("refund")
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", verbose_name=_("order"))
    state = models.CharField(
        _("state"), max_length=10, choices=ParcelState.choices, default=ParcelState.EXPECTED
    )
    tracking_number = models.CharField(_("return tracking number"), max_length=64, blank=True, db_index=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("received by"),
    )
    created_at = models.DateTimeField(_("expected since"), auto_now_add=True)

    class Meta:
        verbose_name = _("return parcel")
        verbose_name_plural = _("return parcels")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.order} ({self.state})"


class Condition(models.TextChoices):
    GOOD = "good", _("good")
    DAMAGED = "damaged", _("damaged")


class ReturnInspection(models.Model):
    """What the warehouse found in a returned parcel, per SKU: good units go back to stock."""

    parcel = models.ForeignKey(ReturnParcel, on_delete=models.CASCADE, related_name="inspections")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)
    warehouse_code = models.CharField(_("put back in"), max_length=32, blank=True)
    restocked = models.BooleanField(_("back in stock"), default=False)
    created_at = models.DateTimeField(_("inspected at"), auto_now_add=True)

    class Meta:
        verbose_name = _("return inspection")
        verbose_name_plural = _("return inspections")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="inspection_quantity_positive")
        ]

    def __str__(self):
        return f"{self.sku} × {self.quantity} {self.condition}"
