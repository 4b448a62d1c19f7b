"""Warehouse execution: waves and their pick lists, pack scans, parcels (with the fulfillment cycle
timestamps), waybills with the address they were issued for, re-pickups, ship write-backs and tracking."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fulfillment.models import Carrier, Warehouse
from orderhub.fields import EncryptedTextField
from orderhub.models import Order, Sku


class WaveStatus(models.TextChoices):
    OPEN = "open", _("picking")
    DONE = "done", _("picked")


class Wave(models.Model):
    """A batch of allocated orders picked together from one warehouse."""

    code = models.CharField(_("wave"), max_length=32, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="waves", verbose_name=_("warehouse")
    )
    status = models.CharField(_("status"), max_length=8, choices=WaveStatus.choices, default=WaveStatus.OPEN)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.code


class WaveOrder(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="wave_orders")
    # An order is picked in one wave at most.
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="wave_order")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("order of a wave")
        verbose_name_plural = _("orders of a wave")
        ordering = ["wave", "position"]

    def __str__(self):
        return f"{self.wave.code}#{self.position}"


class ParcelStatus(models.TextChoices):
    WAITING = "waiting", _("waiting for a wave")
    PICKING = "picking", _("in a wave")
    PACKED = "packed", _("packed")
    SHIPPED = "shipped", _("shipped")
    DELIVERED = "delivered", _("delivered")


class Parcel(models.Model):
    """The warehouse side of one order, with its fulfillment cycle as timestamps:
    paid → allocated → picked → packed → shipped → collected (→ delivered)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="parcel")
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ParcelStatus.choices, default=ParcelStatus.WAITING, db_index=True
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    allocated_at = models.DateTimeField(_("allocated at"), null=True, blank=True)
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("packed by"),
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True, db_index=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    tracking_alerted_at = models.DateTimeField(_("missing tracking raised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")

    def __str__(self):
        return f"{self.order_id}: {self.status}"


class ScanResult(models.TextChoices):
    ORDER = "order", _("order opened")
    OK = "ok", _("item accepted")
    WRONG_SKU = "wrong_sku", _("wrong SKU")
    EXTRA = "extra", _("extra unit")
    UNKNOWN = "unknown", _("unknown barcode")
    REFUSED = "refused", _("order refused")
    PACKED = "packed", _("packed")


class PackScan(models.Model):
    """Every scan at the pack station, good or bad, with who scanned."""

    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="pack_scans"
    )
    barcode = models.CharField(_("barcode"), max_length=64)
    sku = models.ForeignKey(Sku, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.CharField(_("result"), max_length=10, choices=ScanResult.choices)
    message = models.CharField(_("message"), max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("pack scan")
        verbose_name_plural = _("pack scans")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.barcode}: {self.result}"


class WaybillProvider(models.TextChoices):
    CAINIAO = "cainiao", _("Cainiao cloud print")
    PDD = "pdd", _("PDD e-waybill")


class WaybillStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    VOIDED = "voided", _("voided")


class Waybill(models.Model):
    """An e-waybill number issued for an order, with the address it was issued for (the order's
    current address may have moved on since)."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="waybills", verbose_name=_("order")
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="+", verbose_name=_("carrier")
    )
    provider = models.CharField(_("provider"), max_length=8, choices=WaybillProvider.choices)
    number = models.CharField(_("waybill number"), max_length=64)
    status = models.CharField(
        _("status"), max_length=8, choices=WaybillStatus.choices, default=WaybillStatus.ACTIVE, db_index=True
    )
    print_data = models.JSONField(_("print data"), default=dict, blank=True)
    receiver_name = EncryptedTextField(_("receiver name"), blank=True)
    receiver_phone = EncryptedTextField(_("receiver phone"), blank=True)
    receiver_province = models.CharField(_("province"), max_length=32, blank=True)
    receiver_city = models.CharField(_("city"), max_length=32, blank=True)
    receiver_district = models.CharField(_("district"), max_length=32, blank=True)
    receiver_detail = EncryptedTextField(_("address detail"), blank=True)
    sender = models.JSONField(_("sender"), default=dict, blank=True)
    gift_note = models.CharField(_("gift note"), max_length=200, blank=True)
    printed_count = models.PositiveSmallIntegerField(_("times printed"), default=0)
    void_reason = models.CharField(_("void reason"), max_length=200, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("voided by"),
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("waybill")
        verbose_name_plural = _("waybills")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "number"], name="waybill_carrier_number_unique"),
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="active"), name="waybill_one_active_per_order"
            ),
            models.CheckConstraint(
                condition=Q(status="active") | ~Q(void_reason=""), name="waybill_void_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.carrier.code} {self.number}"


class RepickupStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class Repickup(models.Model):
    """A parcel whose waybill was replaced (the city or district changed): the carrier must pick it up
    again with the new label."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="repickups", verbose_name=_("order")
    )
    old_waybill = models.ForeignKey(Waybill, on_delete=models.PROTECT, related_name="+")
    new_waybill = models.ForeignKey(Waybill, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=8, choices=RepickupStatus.choices, default=RepickupStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-pickup task")
        verbose_name_plural = _("re-pickup tasks")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.order_id}: {self.old_waybill_id} → {self.new_waybill_id}"


class WriteBackStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DONE = "done", _("written back")
    FAILED = "failed", _("failed, retrying")


class ShipWriteBack(models.Model):
    """The tracking number told to one source order's platform; retried until the platform accepts it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="ship_writebacks")
    waybill = models.ForeignKey(Waybill, on_delete=models.PROTECT, related_name="writebacks")
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=WriteBackStatus.choices,
        default=WriteBackStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(_("written back at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ship write-back")
        verbose_name_plural = _("ship write-backs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "waybill"], name="ship_writeback_order_waybill_unique")
        ]

    def __str__(self):
        return f"{self.order_id} ← {self.waybill_id}: {self.status}"


class TrackingKind(models.TextChoices):
    IN_TRANSIT = "in_transit", _("in transit")
    COLLECTED = "collected", _("collected")
    DELIVERED = "delivered", _("delivered")
    PROBLEM = "problem", _("problem")


class TrackingEvent(models.Model):
    waybill = models.ForeignKey(Waybill, on_delete=models.CASCADE, related_name="tracking_events")
    occurred_at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=12, choices=TrackingKind.choices)
    description = models.CharField(_("description"), max_length=500)
    source = models.CharField(_("source"), max_length=16)  # kuaidi100 | kdniao
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["waybill", "occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["waybill", "occurred_at", "description"], name="tracking_event_unique"
            )
        ]

    def __str__(self):
        return f"{self.waybill_id} {self.occurred_at:%Y-%m-%d %H:%M} {self.kind}"
