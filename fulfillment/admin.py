"""The warehouse console: carriers, warehouses, stock with its adjustment history, allocations.

On hand and allocated are never edited in a form: on hand changes through "adjust with a reason" or an
import (both record a StockAdjustment), allocated only through allocation and release.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from fulfillment.imports import StockLevelResource
from fulfillment.models import Allocation, Carrier, Stock, StockAdjustment, Warehouse
from fulfillment.selectors import adjustments_for_console, allocations_for_user, stocks_for_console
from fulfillment.services.stock import StockLevelRow, stock_adjust, stock_set_levels
from orderhub.admin import ReadOnlyInline, run_service


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")


class StockInline(ReadOnlyInline):
    model = Stock
    fields = readonly_fields = (
        "sku",
        "on_hand",
        "allocated",
        "available",
        "safety_threshold",
        "bin_location",
    )

    @admin.display(description=_("available"))
    def available(self, stock):
        return stock.available

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku")


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "city", "priority", "default_carrier", "active")
    list_filter = ("active", "province")
    search_fields = ("code", "name", "city")
    list_select_related = ("default_carrier",)
    inlines = (StockInline,)


class BelowSafetyFilter(admin.SimpleListFilter):
    title = _("below safety threshold")
    parameter_name = "below_safety"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        below = queryset.filter(available_quantity__lt=F("safety_threshold"))
        if self.value() == "yes":
            return below
        if self.value() == "no":
            return queryset.exclude(pk__in=below.values("pk"))
        return queryset


class AdjustValues(forms.Form):
    delta = forms.IntegerField(label=_("change"), required=False)
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)


class AdjustStockForm(ActionForm, AdjustValues):
    """Shown beside the action menu: the change and its reason for "adjust with a reason"."""


@admin.register(Stock)
class StockAdmin(ImportExportModelAdmin):
    resource_classes = [StockLevelResource]
    action_form = AdjustStockForm
    actions = ("adjust_stock",)
    list_display = (
        "warehouse",
        "sku",
        "on_hand",
        "allocated",
        "available",
        "safety_threshold",
        "bin_location",
        "updated_at",
    )
    list_filter = ("warehouse", BelowSafetyFilter, "warehouse__active")
    search_fields = ("sku__code", "sku__barcode", "sku__name", "bin_location")
    search_help_text = _("SKU code, barcode or name, or bin.")
    autocomplete_fields = ("sku",)
    list_per_page = 100

    def get_queryset(self, request):
        return stocks_for_console()

    def get_fields(self, request, obj=None):
        return ("warehouse", "sku", "on_hand", "allocated", "available", "safety_threshold", "bin_location")

    def get_readonly_fields(self, request, obj=None):
        fixed = ("on_hand", "allocated", "available")
        return fixed if obj is None else ("warehouse", "sku", *fixed)

    @admin.display(description=_("available"), ordering="available_quantity")
    def available(self, stock):
        return stock.on_hand - stock.allocated

    def save_model(self, request, obj, form, change):
        """Writes only the settings of the row: saving the whole form would write back the on hand and
        allocated it read, undoing allocations made meanwhile."""
        row = StockLevelRow(
            warehouse_id=obj.warehouse_id,
            sku_id=obj.sku_id,
            safety_threshold=obj.safety_threshold,
            bin_location=obj.bin_location,
        )
        obj.pk = stock_set_levels([row], user=request.user, source="manual")[0].pk

    def get_actions(self, request):
        # Bulk delete would skip the per-row check below.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Stock with units is set to zero by an adjustment, which leaves a trace; only empty rows go.
        if obj is not None and (obj.on_hand or obj.allocated):
            return False
        return super().has_delete_permission(request, obj)

    def has_adjust_permission(self, request):
        return request.user.has_perm("fulfillment.add_stockadjustment")

    def has_import_permission(self, request):
        return request.user.has_perm("fulfillment.change_stock") and self.has_adjust_permission(request)

    @admin.action(description=_("Adjust on hand by the change, with the reason"), permissions=["adjust"])
    def adjust_stock(self, request, queryset):
        # Only the two values: the action menu itself was already handled by the admin.
        form = AdjustValues(request.POST)
        values = form.cleaned_data if form.is_valid() else {}
        delta, reason = values.get("delta"), (values.get("reason") or "").strip()
        if not delta or not reason:
            self.message_user(
                request, _("Enter a whole, non-zero change and a reason to adjust stock."), messages.ERROR
            )
            return
        run_service(
            self,
            request,
            queryset,
            lambda stock: stock_adjust(stock_id=stock.pk, delta=delta, reason=reason, user=request.user),
            str(_("{count} stock rows adjusted.")),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "warehouse", "sku", "delta", "on_hand_after", "reason", "source", "user")
    list_filter = (
        ("stock__sku", admin.RelatedOnlyFieldListFilter),
        "stock__warehouse",
        "source",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("stock__sku__code", "stock__sku__barcode", "reason")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return adjustments_for_console()

    @admin.display(description=_("warehouse"), ordering="stock__warehouse__code")
    def warehouse(self, adjustment):
        return adjustment.stock.warehouse

    @admin.display(description=_("SKU"), ordering="stock__sku__code")
    def sku(self, adjustment):
        return adjustment.stock.sku


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("order", "sku", "warehouse", "quantity", "status", "created_at", "released_at")
    list_filter = ("status", "stock__warehouse")
    search_fields = ("line__order__platform_order_id", "stock__sku__code")

    def get_queryset(self, request):
        return allocations_for_user(request.user)

    @admin.display(description=_("order"), ordering="line__order__platform_order_id")
    def order(self, allocation):
        return allocation.line.order

    @admin.display(description=_("warehouse"), ordering="stock__warehouse__code")
    def warehouse(self, allocation):
        return allocation.stock.warehouse

    @admin.display(description=_("SKU"), ordering="stock__sku__code")
    def sku(self, allocation):
        return allocation.stock.sku


# The rule models are registered in their own module; importing it here makes Django load it.
from fulfillment import admin_decisions, admin_rules, admin_warehouse  # noqa: E402, F401
