"""The console pages where staff edit the decision rules: settings, routing, carriers, gifts, buyer tags.

These are settings rows, not stateful models, so plain ModelAdmins save them; the decisions read them
the next time an order is decided. Imported by fulfillment/admin.py.
"""

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fulfillment.models import (
    BuyerTag,
    CarrierRule,
    CarrierRuleKind,
    FulfillmentSettings,
    GiftRule,
    RoutingRule,
    RoutingRuleWarehouse,
)
from fulfillment.rules.regions import province_full_name

_SEPARATORS = re.compile(r"[,，、;；\s]+")


class ListField(forms.CharField):
    """A JSON list of names edited as one line of text: "上海市、江苏省, 浙江".

    With provinces=True each name must be a province; short forms are stored in full ("浙江" → "浙江省").
    """

    def __init__(self, *, provinces=False, **kwargs):
        self.provinces = provinces
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "、".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        names = [name for name in _SEPARATORS.split(value or "") if name]
        if not self.provinces:
            return list(dict.fromkeys(names))
        unknown = [name for name in names if province_full_name(name) is None]
        if unknown:
            raise ValidationError(
                _("Not a province: %(names)s"), code="province", params={"names": "、".join(unknown)}
            )
        return list(dict.fromkeys(province_full_name(name) for name in names))


# ---- the single settings row -------------------------------------------------------------------


@admin.register(FulfillmentSettings)
class FulfillmentSettingsAdmin(admin.ModelAdmin):
    fieldsets = (
        (
            _("Holds"),
            {
                "fields": (
                    "address_check",
                    "risk_check",
                    "risk_orders_per_phone_24h",
                    "risk_first_order_amount",
                    "stock_check",
                )
            },
        ),
        (
            _("Merge"),
            {
                "fields": (
                    "merge_window_minutes",
                    "merge_across_shops",
                    "merge_across_platforms",
                    "merge_automatically",
                )
            },
        ),
        (_("Routing and presale"), {"fields": ("split_allowed", "presale_balance_days", "updated_at")}),
    )
    readonly_fields = ("updated_at",)

    def changelist_view(self, request, extra_context=None):
        """There is one row: the list is its page. `current()` creates it with the defaults once."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = FulfillmentSettings.current()
        return redirect(reverse("admin:fulfillment_fulfillmentsettings_change", args=[row.pk]))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not FulfillmentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# ---- routing -----------------------------------------------------------------------------------


class RoutingRuleForm(forms.ModelForm):
    provinces = ListField(
        provinces=True,
        required=True,
        label=_("provinces"),
        help_text=_("Separated by commas or 、, e.g. 上海市、江苏省、浙江省、安徽省"),
    )

    class Meta:
        model = RoutingRule
        fields = ("name", "provinces", "priority", "active")


class RoutingRuleWarehouseInline(admin.TabularInline):
    model = RoutingRuleWarehouse
    extra = 1
    min_num = 1
    autocomplete_fields = ("warehouse",)
    fields = ("rank", "warehouse", "delivery_days")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    inlines = (RoutingRuleWarehouseInline,)
    list_display = ("name", "province_list", "warehouse_list", "priority", "active")
    list_editable = ("priority", "active")
    list_filter = ("active",)
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("warehouses__warehouse")

    @admin.display(description=_("provinces"))
    def province_list(self, rule):
        return "、".join(rule.provinces)

    @admin.display(description=_("warehouses, in order"))
    def warehouse_list(self, rule):
        return " → ".join(entry.warehouse.name for entry in rule.warehouses.all())


# ---- carriers ----------------------------------------------------------------------------------


class CarrierRuleForm(forms.ModelForm):
    provinces = ListField(provinces=True, label=_("provinces"))
    buyer_tags = ListField(label=_("buyer tags"), help_text=_("e.g. loyal, vip"))

    class Meta:
        model = CarrierRule
        fields = (
            *("name", "kind", "carrier", "priority", "active", "provinces", "buyer_tags", "warehouses"),
            *("min_weight_g", "max_weight_g", "cost", "surcharge"),
        )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == CarrierRuleKind.BUYER_TAG and not cleaned.get("buyer_tags"):
            self.add_error("buyer_tags", _("A buyer-tag rule needs at least one tag."))
        if kind == CarrierRuleKind.REGION and not cleaned.get("provinces"):
            self.add_error("provinces", _("A region rule needs at least one province."))
        low, high = cleaned.get("min_weight_g"), cleaned.get("max_weight_g")
        if low is not None and high is not None and low > high:
            self.add_error("max_weight_g", _("The upper weight is below the lower one."))
        return cleaned


@admin.register(CarrierRule)
class CarrierRuleAdmin(admin.ModelAdmin):
    form = CarrierRuleForm
    list_display = ("name", "kind", "carrier", "conditions", "cost", "surcharge", "priority", "active")
    list_filter = ("kind", "active", "carrier")
    search_fields = ("name", "carrier__code", "carrier__name")
    list_select_related = ("carrier",)
    autocomplete_fields = ("carrier",)
    filter_horizontal = ("warehouses",)
    fieldsets = (
        (
            None,
            {
                "fields": ("name", "kind", "carrier", "priority", "active"),
                "description": _(
                    "A designated carrier wins, then buyer-tag rules, then region rules, then the "
                    "cheapest weight rule, else the warehouse's default carrier."
                ),
            },
        ),
        (
            _("Conditions"),
            {"fields": ("provinces", "buyer_tags", "warehouses", "min_weight_g", "max_weight_g")},
        ),
        (_("Cost"), {"fields": ("cost", "surcharge")}),
    )

    @admin.display(description=_("conditions"))
    def conditions(self, rule):
        parts = ["、".join(rule.provinces), ", ".join(rule.buyer_tags)]
        if rule.min_weight_g is not None or rule.max_weight_g is not None:
            parts.append(f"{rule.min_weight_g or 0}–{rule.max_weight_g or '∞'} g")
        return " | ".join(part for part in parts if part)


# ---- gifts -------------------------------------------------------------------------------------


class GiftRuleForm(forms.ModelForm):
    class Meta:
        model = GiftRule
        fields = (
            *("name", "priority", "active", "trigger_skus", "min_paid_amount", "shops", "starts_at"),
            *("ends_at", "gift_sku", "gift_quantity", "label_note", "label_position"),
        )

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("The end is before the start."))
        return cleaned


@admin.register(GiftRule)
class GiftRuleAdmin(admin.ModelAdmin):
    form = GiftRuleForm
    list_display = (
        "name",
        "gift_sku",
        "gift_quantity",
        "min_paid_amount",
        "starts_at",
        "ends_at",
        "label_note",
        "priority",
        "active",
    )
    list_filter = ("active",)
    search_fields = ("name", "gift_sku__code", "label_note")
    list_select_related = ("gift_sku",)
    autocomplete_fields = ("gift_sku",)
    filter_horizontal = ("trigger_skus", "shops")
    fieldsets = (
        (None, {"fields": ("name", "priority", "active")}),
        (
            _("When"),
            {
                "fields": ("trigger_skus", "min_paid_amount", "shops", "starts_at", "ends_at"),
                "description": _(
                    "Trigger SKUs and a minimum paid amount both apply when both are set. One gift per "
                    "order: the first matching rule by priority whose gift is in stock."
                ),
            },
        ),
        (_("Gift"), {"fields": ("gift_sku", "gift_quantity", "label_note", "label_position")}),
    )


# ---- buyer tags --------------------------------------------------------------------------------


@admin.register(BuyerTag)
class BuyerTagAdmin(admin.ModelAdmin):
    list_display = ("buyer_id", "platform", "tag", "note")
    list_filter = ("platform", "tag")
    search_fields = ("buyer_id",)
    search_help_text = _("Buyer id on the platform.")
