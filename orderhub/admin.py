"""The customer-service console: orders, the hold queue, shops and master data."""

import json
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from orderhub import personal_data
from orderhub.admin_tools import DefaultChoiceFilter, ReadOnlyAdmin, run_service
from orderhub.events import Actor
from orderhub.exceptions import ApplicationError
from orderhub.imports import SkuMappingItemResource, SkuResource
from orderhub.models import (
    Hold,
    HoldStatus,
    Order,
    OrderEvent,
    OrderLine,
    Shop,
    Sku,
    SkuMapping,
    SkuMappingItem,
)
from orderhub.selectors import orders_for_user, shops_for_user, with_open_hold_flag
from orderhub.services.holds import hold_resolve
from orderhub.services.lines import orders_remap_for_mapping
from orderhub.services.orders import order_address_edit, order_cancel, order_mark_priority
from orderhub.status import HoldKind, HoldResolution

admin.site.site_header = _("OrderHub console")
admin.site.site_title = _("OrderHub")
admin.site.index_title = _("Orders, holds and master data")
admin.site.site_url = "/"


# ---- personal data, masked per request ---------------------------------------------------------


def _personal_columns(request):
    allowed = personal_data.can_view(request.user)

    def receiver(order):
        name, phone = order.receiver_name, order.receiver_phone
        return (
            f"{name} {phone}"
            if allowed
            else f"{personal_data.mask_name(name)} {personal_data.mask_phone(phone)}"
        )

    def address(order):
        detail = order.receiver_detail if allowed else personal_data.mask_address(order.receiver_detail)
        return f"{order.receiver_province}{order.receiver_city}{order.receiver_district} {detail}"

    def raw_payload(order):
        payload = order.raw_payload if allowed else personal_data.redact_payload(order.raw_payload)
        return format_html(
            "<pre class='raw-payload'>{}</pre>", json.dumps(payload, ensure_ascii=False, indent=2)
        )

    receiver.short_description = _("receiver")
    address.short_description = _("address")
    raw_payload.short_description = _("platform payload")
    return receiver, address, raw_payload


# ---- orders ------------------------------------------------------------------------------------


class OpenHoldFilter(admin.SimpleListFilter):
    title = _("open hold")
    parameter_name = "has_open_hold"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return with_open_hold_flag(queryset).filter(has_open_hold=self.value() == "yes")
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = (
        "title",
        "platform_sku_id",
        "outer_sku_code",
        "quantity",
        "unit_price",
        "paid_amount",
        "is_gift",
        "mapped_to",
    )

    @admin.display(description=_("our SKUs"))
    def mapped_to(self, line):
        mapped = [f"{m.sku.code} × {m.quantity}" for m in line.mapped_skus.all()]
        return ", ".join(mapped) or format_html("<strong style='color:#ba2121'>{}</strong>", _("unmapped"))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("mapped_skus__sku")


class HoldInline(ReadOnlyInline):
    model = Hold
    fields = readonly_fields = (
        "level",
        "kind",
        "reason",
        "status",
        "created_at",
        "resolution",
        "resolved_by",
        "resolved_at",
    )


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    verbose_name_plural = _("timeline")
    fields = readonly_fields = ("created_at", "type", "actor", "facts")

    @admin.display(description=_("by"))
    def actor(self, event):
        return event.actor_user or f"{event.get_actor_type_display()}: {event.actor_label}"

    @admin.display(description=_("facts"))
    def facts(self, event):
        return json.dumps(event.parameters, ensure_ascii=False)[:500]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor_user")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ["console/admin.css"]}

    list_filter = (
        "shop",
        "shop__platform",
        "status",
        OpenHoldFilter,
        "is_priority",
        ("platform_paid_at", admin.DateFieldListFilter),
    )
    search_fields = ("platform_order_id", "tracking_number")
    search_help_text = _("Platform order id, tracking number, or the receiver's full phone number.")
    inlines = (OrderLineInline, HoldInline, OrderEventInline)
    actions = ("cancel_orders", "mark_priority", "approve_holds")
    list_select_related = ("shop",)
    list_per_page = 50
    date_hierarchy = "platform_paid_at"

    def get_list_display(self, request):
        receiver = _personal_columns(request)[0]
        return (
            "platform_order_id",
            "shop",
            "status",
            "raw_status",
            "paid_amount",
            receiver,
            "open_holds",
            "is_priority",
            "platform_paid_at",
        )

    def get_fields(self, request, obj=None):
        receiver, address, raw_payload = _personal_columns(request)
        return (
            "shop",
            "platform_order_id",
            "status",
            "raw_status",
            "is_priority",
            "buyer_id",
            receiver,
            address,
            "currency",
            "goods_amount",
            "shipping_fee",
            "discount",
            "paid_amount",
            "platform_created_at",
            "platform_paid_at",
            "platform_updated_at",
            "tracking_number",
            "buyer_remark",
            "seller_remark",
            "created_at",
            raw_payload,
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return with_open_hold_flag(orders_for_user(request.user))

    @admin.display(description=_("open holds"), boolean=True, ordering="has_open_hold")
    def open_holds(self, order):
        return order.has_open_hold

    def get_search_results(self, request, queryset, search_term):
        phone = personal_data.normalize_phone(search_term)
        if len(phone) >= 7 and phone == search_term.strip().replace(" ", "").replace("-", "").lstrip("+"):
            by_phone = queryset.filter(receiver_phone_hash=personal_data.phone_lookup_hash(phone))
            if by_phone.exists():
                return by_phone, False
        return super().get_search_results(request, queryset, search_term)

    def has_cancel_permission(self, request):
        return request.user.has_perm("orderhub.cancel_order")

    def has_priority_permission(self, request):
        return request.user.has_perm("orderhub.mark_priority")

    def has_resolve_permission(self, request):
        return request.user.has_perm("orderhub.resolve_hold")

    @admin.action(description=_("Cancel the selected orders"), permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        actor = Actor.of_user(request.user)
        run_service(
            self,
            request,
            queryset,
            lambda o: order_cancel(order_id=o.pk, actor=actor, reason="cancelled in console"),
            str(_("{count} orders cancelled.")),
        )

    @admin.action(description=_("Mark the selected orders as priority"), permissions=["priority"])
    def mark_priority(self, request, queryset):
        actor = Actor.of_user(request.user)
        run_service(
            self,
            request,
            queryset,
            lambda o: order_mark_priority(order_id=o.pk, actor=actor, reason="console"),
            str(_("{count} orders marked as priority.")),
        )

    @admin.action(description=_("Approve the open holds of the selected orders"), permissions=["resolve"])
    def approve_holds(self, request, queryset):
        actor = Actor.of_user(request.user)
        holds = Hold.objects.filter(order__in=queryset, status=HoldStatus.OPEN)
        run_service(
            self,
            request,
            holds,
            lambda h: hold_resolve(hold_id=h.pk, actor=actor, resolution=HoldResolution.APPROVE),
            str(_("{count} holds approved.")),
        )


class AddressForm(forms.Form):
    province = forms.CharField(label=_("province"), max_length=32)
    city = forms.CharField(label=_("city"), max_length=32)
    district = forms.CharField(label=_("district"), max_length=32)
    detail = forms.CharField(label=_("address detail"), max_length=200)
    note = forms.CharField(label=_("resolution note"), max_length=200, required=False)


# ---- the decision queue ------------------------------------------------------------------------


class HoldStatusFilter(DefaultChoiceFilter):
    """Open holds by default: the queue is what still needs a decision."""

    title = _("status")
    parameter_name = "status"
    default = HoldStatus.OPEN

    def lookups(self, request, model_admin):
        return [*HoldStatus.choices, self.all_choice()]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = (
        "order_link",
        "level",
        "kind",
        "reason",
        "created_at",
        "status",
        "resolution",
        "resolved_by",
        "one_click",
    )
    list_filter = (HoldStatusFilter, "level", "kind", "order__shop")
    search_fields = ("order__platform_order_id", "reason")
    actions = ("approve", "cancel_orders")
    list_select_related = ("order", "order__shop", "resolved_by")
    ordering = ("-order__is_priority", "-level", "created_at")
    fields = readonly_fields = (
        "order_link",
        "kind",
        "level",
        "reason",
        "details",
        "status",
        "created_at",
        "resolution",
        "resolution_note",
        "resolved_by",
        "resolved_at",
    )

    @admin.display(description=_("resolve"))
    def one_click(self, hold):
        """The fix a hold of this kind needs, one click away (approve and cancel are list actions)."""
        if hold.status != HoldStatus.OPEN:
            return ""
        if hold.kind == HoldKind.ADDRESS:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:orderhub_hold_edit_address", args=[hold.pk]),
                _("edit address"),
            )
        if hold.kind == HoldKind.UNMAPPED_SKU:
            line = (hold.details.get("lines") or [{}])[0]
            query = urlencode(
                {
                    "shop": hold.order.shop_id,
                    "platform_sku_id": line.get("platform_sku_id", ""),
                    "outer_sku_code": line.get("outer_sku_code", ""),
                }
            )
            return format_html(
                '<a href="{}?{}">{}</a>', reverse("admin:orderhub_skumapping_add"), query, _("map SKU")
            )
        return ""

    def get_urls(self):
        return [
            path(
                "<int:hold_id>/edit-address/",
                self.admin_site.admin_view(self.edit_address_view),
                name="orderhub_hold_edit_address",
            ),
            *super().get_urls(),
        ]

    def edit_address_view(self, request, hold_id: int):
        hold = get_object_or_404(self.get_queryset(request), pk=hold_id, kind=HoldKind.ADDRESS)
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        order = hold.order
        initial = {
            "province": order.receiver_province,
            "city": order.receiver_city,
            "district": order.receiver_district,
            "detail": order.receiver_detail if personal_data.can_view(request.user) else "",
        }
        form = AddressForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                order_address_edit(order_id=order.pk, actor=Actor.of_user(request.user), **form.cleaned_data)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Address corrected; the order is released."), messages.SUCCESS)
                return redirect("admin:orderhub_hold_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Edit the address of %(order)s") % {"order": order},
            "form": form,
            "hold": hold,
            "opts": self.model._meta,
        }
        return render(request, "admin/orderhub/hold/edit_address.html", context)

    @admin.display(description=_("order"), ordering="order__platform_order_id")
    def order_link(self, hold):
        return format_html('<a href="../order/{}/change/">{}</a>', hold.order_id, hold.order)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(order__in=orders_for_user(request.user))

    def has_resolve_permission(self, request):
        return request.user.has_perm("orderhub.resolve_hold")

    def has_cancel_permission(self, request):
        return request.user.has_perm("orderhub.cancel_order")

    @admin.action(description=_("Approve: release the order"), permissions=["resolve"])
    def approve(self, request, queryset):
        actor = Actor.of_user(request.user)
        run_service(
            self,
            request,
            queryset.filter(status=HoldStatus.OPEN),
            lambda h: hold_resolve(hold_id=h.pk, actor=actor, resolution=HoldResolution.APPROVE),
            str(_("{count} holds approved.")),
        )

    @admin.action(description=_("Cancel the held orders"), permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        actor = Actor.of_user(request.user)
        order_ids = set(queryset.values_list("order_id", flat=True))
        run_service(
            self,
            request,
            Order.objects.filter(pk__in=order_ids),
            lambda o: order_cancel(order_id=o.pk, actor=actor, reason="cancelled from the hold queue"),
            str(_("{count} orders cancelled.")),
        )


# ---- shops and master data ---------------------------------------------------------------------


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "platform",
        "platform_shop_id",
        "active",
        "pull_enabled",
        "token_expires_at",
    )
    list_filter = ("platform", "active")
    search_fields = ("code", "name", "platform_shop_id")
    filter_horizontal = ("staff",)

    def get_queryset(self, request):
        return shops_for_user(request.user)


@admin.register(Sku)
class SkuAdmin(ImportExportModelAdmin):
    resource_classes = [SkuResource]
    list_display = ("code", "name", "barcode", "weight_g", "price", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "barcode")


class SkuMappingItemInline(admin.TabularInline):
    model = SkuMappingItem
    extra = 1
    min_num = 1
    autocomplete_fields = ("sku",)


@admin.register(SkuMapping)
class SkuMappingAdmin(ImportExportModelAdmin):
    resource_classes = [SkuMappingItemResource]
    list_display = ("shop", "platform_sku_id", "outer_sku_code", "title", "components", "updated_at")
    list_filter = ("shop",)
    search_fields = ("platform_sku_id", "outer_sku_code", "title", "items__sku__code")
    inlines = (SkuMappingItemInline,)

    @admin.display(description=_("our SKUs"))
    def components(self, mapping):
        return ", ".join(f"{item.sku.code} × {item.quantity}" for item in mapping.items.all())

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(shop__in=shops_for_user(request.user))
            .prefetch_related("items__sku")
        )

    def get_export_queryset(self, request):
        return SkuMappingItem.objects.filter(mapping__in=self.get_queryset(request)).select_related(
            "mapping__shop", "sku"
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        orders_remap_for_mapping(mapping=form.instance, actor=Actor.of_user(request.user))
