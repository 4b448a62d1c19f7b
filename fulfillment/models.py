"""Warehouses and stock, and the rule settings staff edit in the console (holds, merge, gifts, routing,
carriers). Decisions themselves are pure functions in rules.py; these rows are their inputs."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orderhub.fields import EncryptedTextField
from orderhub.models import MONEY, OrderLine, Platform, Shop, Sku


class Carrier(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)  # e.g. SF, YTO, ZTO, EMS (cp_code)
    name = models.CharField(_("name"), max_length=64)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    district = models.CharField(_("district"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=32, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    # Provinces this warehouse serves by default (routing rules may say more); empty: nationwide.
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower goes first."))
    default_carrier = models.ForeignKey(
        Carrier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("default carrier"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["priority", "code"]

    def __str__(self):
        return self.name


class Stock(models.Model):
    """On hand and allocated per warehouse and SKU; the database refuses a negative available quantity."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stocks", verbose_name=_("warehouse")
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="stocks", verbose_name=_("SKU"))
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    # Below this available quantity the routing prefers another warehouse (e.g. 15% of the normal level).
    safety_threshold = models.PositiveIntegerField(_("safety threshold"), default=0)
    bin_location = models.CharField(_("bin"), max_length=32, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        ordering = ["warehouse", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="stock_warehouse_sku_unique"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stock_no_oversell"),
        ]

    def __str__(self):
        return f"{self.warehouse.code}/{self.sku.code}: {self.available} available"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockAdjustment(models.Model):
    """Every change of on-hand stock, with why and who: the adjustment history per SKU."""

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="adjustments")
    delta = models.IntegerField(_("change"))
    on_hand_after = models.IntegerField(_("on hand after"))
    reason = models.CharField(_("reason"), max_length=200)
    source = models.CharField(
        _("source"), max_length=16, default="manual"
    )  # manual | import | return | count
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock adjustment")
        verbose_name_plural = _("stock adjustments")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.stock}: {self.delta:+d} ({self.reason})"


class AllocationStatus(models.TextChoices):
    ACTIVE = "active", _("reserved")
    RELEASED = "released", _("released")
    SHIPPED = "shipped", _("shipped")


class Allocation(models.Model):
    """Units of one order line reserved in one warehouse's stock."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("reserved at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="allocation_quantity_positive")
        ]
        indexes = [models.Index(fields=["stock", "status"], name="allocation_stock_status_idx")]

    def __str__(self):
        return f"{self.stock.sku.code} × {self.quantity} @ {self.stock.warehouse.code}"


class FulfillmentSettings(models.Model):
    """One row: the settings of the decision rules, edited by staff in the console."""

    address_check = models.BooleanField(_("hold unresolvable addresses (level 1)"), default=True)
    risk_check = models.BooleanField(_("hold risky orders (level 2)"), default=True)
    risk_orders_per_phone_24h = models.PositiveSmallIntegerField(
        _("orders per phone in 24 h above which to hold"), default=5
    )
    risk_first_order_amount = models.DecimalField(
        _("first-time buyer amount above which to hold"), **MONEY, default=5000
    )
    stock_check = models.BooleanField(_("freeze unmapped or out-of-stock orders (level 3)"), default=True)
    merge_window_minutes = models.PositiveSmallIntegerField(_("merge window (minutes)"), default=30)
    merge_across_shops = models.BooleanField(_("merge across shops of one platform"), default=True)
    merge_across_platforms = models.BooleanField(_("merge across platforms"), default=False)
    merge_automatically = models.BooleanField(_("merge automatically"), default=False)
    split_allowed = models.BooleanField(
        _("split an order over warehouses when no single one can serve it"), default=True
    )
    presale_balance_days = models.PositiveSmallIntegerField(_("presale balance deadline (days)"), default=7)
    address_change_window_minutes = models.PositiveSmallIntegerField(
        _("address changes applied silently within (minutes after payment)"), default=120
    )
    tracking_missing_minutes = models.PositiveSmallIntegerField(
        _("raise a shipped order without tracking after (minutes)"), default=60
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("decision settings")
        verbose_name_plural = _("decision settings")

    def __str__(self):
        return str(_("decision settings"))

    @classmethod
    def current(cls) -> "FulfillmentSettings":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class RoutingRule(models.Model):
    """Orders to these provinces go to these warehouses, in this order (skipping any below safety)."""

    name = models.CharField(_("name"), max_length=100)
    provinces = models.JSONField(
        _("provinces"), default=list, help_text=_('e.g. ["上海市", "江苏省", "浙江省"]')
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower goes first."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "pk"]

    def __str__(self):
        return self.name


class RoutingRuleWarehouse(models.Model):
    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="warehouses")
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="+", verbose_name=_("warehouse")
    )
    rank = models.PositiveSmallIntegerField(_("rank"), default=1)
    delivery_days = models.PositiveSmallIntegerField(_("promised delivery (days)"), default=2)

    class Meta:
        verbose_name = _("warehouse of the rule")
        verbose_name_plural = _("warehouses of the rule")
        ordering = ["rule", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "warehouse"], name="routing_rule_warehouse_unique")
        ]

    def __str__(self):
        return f"{self.rule}: {self.rank}. {self.warehouse}"


class CarrierRuleKind(models.TextChoices):
    DESIGNATED = "designated", _("buyer- or platform-designated carrier")
    BUYER_TAG = "buyer_tag", _("buyer tag")
    REGION = "region", _("destination region")
    WEIGHT = "weight", _("weight and cost")


class CarrierRule(models.Model):
    """Carrier choice beyond the warehouse default; kinds are weighed designated > tag > region > weight."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=CarrierRuleKind.choices)
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="rules", verbose_name=_("carrier")
    )
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    buyer_tags = models.JSONField(_("buyer tags"), default=list, blank=True)
    warehouses = models.ManyToManyField(Warehouse, blank=True, related_name="+", verbose_name=_("warehouses"))
    min_weight_g = models.PositiveIntegerField(_("from weight (g)"), null=True, blank=True)
    max_weight_g = models.PositiveIntegerField(_("up to weight (g)"), null=True, blank=True)
    cost = models.DecimalField(_("cost"), **MONEY, null=True, blank=True)
    surcharge = models.DecimalField(_("surcharge"), **MONEY, default=0)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier rule")
        verbose_name_plural = _("carrier rules")
        ordering = ["priority", "pk"]

    def __str__(self):
        return self.name


class GiftRule(models.Model):
    name = models.CharField(_("name"), max_length=100)
    trigger_skus = models.ManyToManyField(Sku, blank=True, related_name="+", verbose_name=_("trigger SKUs"))
    min_paid_amount = models.DecimalField(_("minimum paid amount"), **MONEY, null=True, blank=True)
    shops = models.ManyToManyField(
        Shop, blank=True, related_name="+", verbose_name=_("shops"), help_text=_("None selected: every shop.")
    )
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    gift_sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("gift"))
    gift_quantity = models.PositiveSmallIntegerField(
        _("gift quantity"), default=1, validators=[MinValueValidator(1)]
    )
    label_note = models.CharField(
        _("label note"),
        max_length=100,
        blank=True,
        help_text=_("Printed on the waybill, e.g. 赠品:智能饮水机滤芯×1"),
    )
    label_position = models.CharField(_("position on the label"), max_length=16, default="remark")
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gift rule")
        verbose_name_plural = _("gift rules")
        ordering = ["priority", "pk"]

    def __str__(self):
        return self.name


class BuyerTag(models.Model):
    """Tags staff give buyers (VIP, loyal, blacklist), used by priority and carrier rules."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    buyer_id = models.CharField(_("buyer"), max_length=128)
    tag = models.CharField(_("tag"), max_length=32)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("buyer tag")
        verbose_name_plural = _("buyer tags")
        constraints = [
            models.UniqueConstraint(fields=["platform", "buyer_id", "tag"], name="buyer_tag_unique")
        ]

    def __str__(self):
        return f"{self.platform}:{self.buyer_id} {self.tag}"


class StockPush(models.Model):
    """What each shop was last told about a SKU's stock, beside what it should be told now."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", verbose_name=_("shop"))
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="stock_pushes", verbose_name=_("SKU"))
    calculated = models.IntegerField(_("calculated"), default=0)
    last_pushed = models.IntegerField(_("last pushed"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    due_at = models.DateTimeField(_("push due at"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("stock push")
        verbose_name_plural = _("stock pushes")
        constraints = [models.UniqueConstraint(fields=["shop", "sku"], name="stock_push_shop_sku_unique")]

    def __str__(self):
        return f"{self.shop.code}/{self.sku.code}: {self.last_pushed} → {self.calculated}"


from fulfillment.models_decisions import MergeGroup, OrderFulfillment  # noqa: E402,F401
from fulfillment.models_warehouse import (  # noqa: E402,F401
    PackScan,
    Parcel,
    Repickup,
    ShipWriteBack,
    TrackingEvent,
    Wave,
    WaveOrder,
    Waybill,
)
