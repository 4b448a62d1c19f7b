"""The order domain: shops, our SKUs and their channel mappings, orders, the audit trail, the hold queue."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orderhub.fields import EncryptedJSONField, EncryptedTextField
from orderhub.status import HoldKind, HoldResolution, OrderStatus

MONEY = {"max_digits": 12, "decimal_places": 2}


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("Taobao / Tmall")
    JD = "jd", _("JD")
    PDD = "pdd", _("Pinduoduo")
    DOUYIN = "douyin", _("Douyin shop")
    YOUZAN = "youzan", _("Youzan")
    SHOPEE = "shopee", _("Shopee")
    LAZADA = "lazada", _("Lazada")
    SHOPIFY = "shopify", _("Shopify")
    MANUAL = "manual", _("Independent site / offline")


class Shop(models.Model):
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    platform_shop_id = models.CharField(_("platform shop id"), max_length=64)
    credentials = EncryptedJSONField(_("credentials"), blank=True, default=dict)
    token_expires_at = models.DateTimeField(_("token expires at"), null=True, blank=True)
    api_base_url = models.URLField(_("API base URL"), blank=True, help_text=_("Empty: the platform's."))
    pull_enabled = models.BooleanField(_("pull enabled"), default=True)
    pull_interval_minutes = models.PositiveSmallIntegerField(_("pull every (minutes)"), default=5)
    pull_overlap_minutes = models.PositiveSmallIntegerField(_("pull window overlap (minutes)"), default=10)
    stock_ratio = models.DecimalField(
        _("stock push ratio"),
        max_digits=4,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    safety_stock = models.PositiveIntegerField(_("safety stock"), default=0)
    active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="scoped_shops",
        verbose_name=_("scoped staff"),
        help_text=_("Staff limited to the shops listed here; staff listed on no shop see every shop."),
    )

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["platform", "code"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_shop_id"], name="shop_platform_id_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_platform_display()})"


class Sku(models.Model):
    code = models.CharField(_("SKU code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    barcode = models.CharField(_("barcode"), max_length=32, unique=True, null=True, blank=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    price = models.DecimalField(_("price"), **MONEY, default=0, validators=[MinValueValidator(0)])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="sku_price_not_negative")]

    def __str__(self):
        return f"{self.code} {self.name}"


class SkuMapping(models.Model):
    """A shop's platform SKU (by platform SKU id, else by outer code) → one or more of our SKUs."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="sku_mappings", verbose_name=_("shop")
    )
    platform_sku_id = models.CharField(_("platform SKU id"), max_length=64, blank=True)
    outer_sku_code = models.CharField(_("outer SKU code"), max_length=64, blank=True)
    title = models.CharField(_("platform title"), max_length=200, blank=True)
    skus = models.ManyToManyField(
        Sku, through="SkuMappingItem", related_name="mappings", verbose_name=_("SKUs")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SKU mapping")
        verbose_name_plural = _("SKU mappings")
        ordering = ["shop", "platform_sku_id", "outer_sku_code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(platform_sku_id="") | ~Q(outer_sku_code=""), name="sku_mapping_has_key"
            ),
            models.UniqueConstraint(
                fields=["shop", "platform_sku_id"],
                condition=~Q(platform_sku_id=""),
                name="sku_mapping_platform_sku_unique",
            ),
            models.UniqueConstraint(
                fields=["shop", "outer_sku_code"],
                condition=Q(platform_sku_id=""),
                name="sku_mapping_outer_code_unique",
            ),
        ]

    def __str__(self):
        return f"{self.shop.code}: {self.platform_sku_id or self.outer_sku_code}"


class SkuMappingItem(models.Model):
    mapping = models.ForeignKey(SkuMapping, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("mapped SKU")
        verbose_name_plural = _("mapped SKUs")
        constraints = [
            models.UniqueConstraint(fields=["mapping", "sku"], name="sku_mapping_item_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sku_mapping_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.sku} × {self.quantity}"


class Order(models.Model):
    # No index of its own: (shop, status) and the unique (shop, platform order id) both start with it.
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="orders", verbose_name=_("shop"), db_index=False
    )
    platform_order_id = models.CharField(_("platform order id"), max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices)
    raw_status = models.CharField(_("platform status"), max_length=64, blank=True)
    buyer_id = models.CharField(_("buyer"), max_length=128, blank=True)
    receiver_name = EncryptedTextField(_("receiver name"), blank=True)
    receiver_phone = EncryptedTextField(_("receiver phone"), blank=True)
    receiver_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    receiver_province = models.CharField(_("province"), max_length=32, blank=True)
    receiver_city = models.CharField(_("city"), max_length=32, blank=True)
    receiver_district = models.CharField(_("district"), max_length=32, blank=True)
    receiver_detail = EncryptedTextField(_("address detail"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    goods_amount = models.DecimalField(_("goods amount"), **MONEY, default=0)
    shipping_fee = models.DecimalField(_("shipping fee"), **MONEY, default=0)
    discount = models.DecimalField(_("discount"), **MONEY, default=0)
    paid_amount = models.DecimalField(_("paid amount"), **MONEY, default=0)
    platform_created_at = models.DateTimeField(_("created on platform"), null=True, blank=True)
    platform_paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)
    platform_updated_at = models.DateTimeField(_("modified on platform"), null=True, blank=True)
    is_priority = models.BooleanField(_("priority"), default=False, db_index=True)
    # Cash on delivery is never merged; read from the platform payload once, when the order arrives.
    is_cod = models.BooleanField(_("cash on delivery"), default=False)
    # Presale: the deposit reserves stock; the balance, paid by its deadline, releases the order to ship.
    presale_deposit_paid_at = models.DateTimeField(_("presale deposit paid at"), null=True, blank=True)
    presale_balance_due_at = models.DateTimeField(_("presale balance due by"), null=True, blank=True)
    buyer_remark = models.TextField(_("buyer remark"), blank=True)
    seller_remark = models.TextField(_("seller remark"), blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    raw_payload = EncryptedJSONField(_("platform payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-platform_created_at", "-id"]
        permissions = [
            ("view_personal_data", _("Can see receiver names, phones and addresses in clear")),
            ("cancel_order", _("Can cancel orders")),
            ("mark_priority", _("Can mark orders as priority")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "platform_order_id"], name="order_shop_platform_id_unique"
            ),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_known"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="order_paid_not_negative"),
        ]
        # Declared here, not with db_index=True: on PostgreSQL that adds a second, LIKE-pattern index per
        # text column, which no query uses and which cost a fifth of the write-ahead log at a peak.
        indexes = [
            models.Index(fields=["shop", "status"], name="order_shop_status_idx"),
            models.Index(fields=["status"], name="order_status_idx"),
            models.Index(fields=["buyer_id"], name="order_buyer_idx"),
            models.Index(fields=["receiver_phone_hash"], name="order_phone_hash_idx"),
            models.Index(fields=["tracking_number"], name="order_tracking_number_idx"),
        ]

    def __str__(self):
        return f"{self.shop.code}/{self.platform_order_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    platform_line_id = models.CharField(_("platform line id"), max_length=64, blank=True)
    platform_sku_id = models.CharField(_("platform SKU id"), max_length=64, blank=True)
    outer_sku_code = models.CharField(_("outer SKU code"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY, default=0)
    paid_amount = models.DecimalField(_("paid amount"), **MONEY, default=0)
    is_gift = models.BooleanField(_("gift"), default=False)
    skus = models.ManyToManyField(
        Sku, through="OrderLineSku", related_name="order_lines", verbose_name=_("SKUs")
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive")
        ]

    def __str__(self):
        return f"{self.title or self.outer_sku_code} × {self.quantity}"


class OrderLineSku(models.Model):
    """What a line means in our SKUs once mapped: one row per SKU, quantities already multiplied."""

    # No index of its own: the unique (line, sku) starts with it.
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="mapped_skus", db_index=False)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("mapped SKU")
        verbose_name_plural = _("mapped SKUs")
        constraints = [
            models.UniqueConstraint(fields=["line", "sku"], name="order_line_sku_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_sku_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.sku} × {self.quantity}"


class ActorType(models.TextChoices):
    USER = "user", _("user")
    SYSTEM = "system", _("system")
    CHANNEL = "channel", _("channel")


class OrderEvent(models.Model):
    """Append-only audit trail: everything that happens to an order, with the facts behind it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=48)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    actor_type = models.CharField(_("actor type"), max_length=8, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_label = models.CharField(_("actor"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["type"], name="orderevent_type_idx")]  # see Order.Meta

    def __str__(self):
        return f"{self.type} @ {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("order events are append-only")
        super().save(*args, **kwargs)


class HoldStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class Hold(models.Model):
    """An order stopped for a person's decision: the decision queue."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=32, choices=HoldKind.choices, db_index=True)
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    reason = models.TextField(_("reason"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=HoldStatus.choices, default=HoldStatus.OPEN)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.CharField(_("resolution"), max_length=32, choices=HoldResolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["-level", "created_at"]
        permissions = [("resolve_hold", _("Can resolve holds"))]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="hold_level_1_to_3"),
            models.UniqueConstraint(
                fields=["order", "kind"], condition=Q(status="open"), name="hold_one_open_per_kind"
            ),
        ]

    def __str__(self):
        return f"L{self.level} {self.kind}: {self.reason}"
