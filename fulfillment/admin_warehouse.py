"""Console pages of warehouse execution: waves, parcels, waybills (reprint, void with a reason),
re-pickups, ship write-backs (failures visible and retried), pack scans, tracking. Records change only
through services and actions."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fulfillment.models_warehouse import (
    PackScan,
    Parcel,
    Repickup,
    ShipWriteBack,
    TrackingEvent,
    Wave,
    WaveOrder,
    Waybill,
    WaybillStatus,
    WriteBackStatus,
)
from fulfillment.selectors_warehouse import first_open_holds
from fulfillment.services.address_change import repickup_done
from fulfillment.services.shipping import ship_writeback_retry_now
from fulfillment.services.waves import wave_picked
from fulfillment.services.waybills import waybill_void
from orderhub.admin import ReadOnlyInline, run_service
from orderhub.admin_tools import DefaultChoiceFilter, ReadOnlyAdmin
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.models import HoldStatus


class WaveOrderInline(ReadOnlyInline):
    model = WaveOrder
    fields = readonly_fields = ("position", "order", "hold")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order__shop")

    @admin.display(description=_("open hold"))
    def hold(self, wave_order):
        reason = first_open_holds([wave_order.order_id]).get(wave_order.order_id)
        return format_html("<strong style='color:#c62828'>{}</strong>", reason) if reason else "—"


@admin.register(Wave)
class WaveAdmin(ReadOnlyAdmin):
    list_display = ("code", "warehouse", "status", "orders", "held", "created_by", "created_at", "pick_list")
    list_filter = ("status", "warehouse")
    search_fields = ("code", "wave_orders__order__platform_order_id")
    inlines = (WaveOrderInline,)
    actions = ("mark_picked",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("warehouse", "created_by")
            .annotate(
                order_count=Count("wave_orders", distinct=True),
                held_count=Count(
                    "wave_orders", filter=Q(wave_orders__order__holds__status=HoldStatus.OPEN), distinct=True
                ),
            )
        )

    @admin.display(description=_("orders"), ordering="order_count")
    def orders(self, wave):
        return wave.order_count

    @admin.display(description=_("on hold"), ordering="held_count")
    def held(self, wave):
        if not wave.held_count:
            return 0
        return format_html("<strong style='color:#c62828'>{}</strong>", wave.held_count)

    @admin.display(description=_("pick list"))
    def pick_list(self, wave):
        return format_html(
            "<a href='{}' target='_blank'>PDF</a>", reverse("warehouse-pick-list", args=[wave.pk])
        )

    @admin.action(description=_("Mark picked"), permissions=["change"])
    def mark_picked(self, request, queryset):
        actor = Actor.of_user(request.user)
        run_service(
            self, request, queryset, lambda wave: wave_picked(wave_id=wave.pk, actor=actor), "{count} picked"
        )

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("fulfillment.change_wave") if obj is None else False


@admin.register(Parcel)
class ParcelAdmin(ReadOnlyAdmin):
    list_display = (
        "order",
        "warehouse",
        "status",
        "paid_at",
        "allocated_at",
        "picked_at",
        "packed_at",
        "shipped_at",
        "collected_at",
        "delivered_at",
    )
    list_filter = ("status", "warehouse")
    search_fields = ("order__platform_order_id",)
    list_select_related = ("order__shop", "warehouse")


class VoidForm(ActionForm):
    reason = forms.CharField(label=_("void reason"), required=False, max_length=200)


@admin.register(Waybill)
class WaybillAdmin(ReadOnlyAdmin):
    action_form = VoidForm
    actions = ("void",)
    list_display = (
        "number",
        "carrier",
        "order",
        "status",
        "provider",
        "printed_count",
        "void_reason",
        "created_at",
        "label",
    )
    list_filter = ("status", "carrier", "provider")
    search_fields = ("number", "order__platform_order_id")
    list_select_related = ("carrier", "order__shop")
    exclude = ("receiver_name", "receiver_phone", "receiver_detail", "print_data")
    readonly_fields = ("receiver_address",)

    @admin.display(description=_("address issued for"))
    def receiver_address(self, waybill):
        if not self.request_can_see_personal_data:
            return f"{waybill.receiver_province}{waybill.receiver_city}{waybill.receiver_district} ***"
        return (
            f"{waybill.receiver_name} {waybill.receiver_phone} "
            f"{waybill.receiver_province}{waybill.receiver_city}{waybill.receiver_district}{waybill.receiver_detail}"
        )

    def get_form(self, request, obj=None, **kwargs):
        self.request_can_see_personal_data = request.user.has_perm("orderhub.view_personal_data")
        return super().get_form(request, obj, **kwargs)

    def changeform_view(self, request, *args, **kwargs):
        self.request_can_see_personal_data = request.user.has_perm("orderhub.view_personal_data")
        return super().changeform_view(request, *args, **kwargs)

    @admin.display(description=_("label"))
    def label(self, waybill):
        if waybill.status != WaybillStatus.ACTIVE:
            return "—"
        return format_html(
            "<a href='{}' target='_blank'>{}</a>",
            reverse("warehouse-waybill-label", args=[waybill.pk]),
            _("Reprint"),
        )

    @admin.action(description=_("Void with the reason given"))
    def void(self, request, queryset):
        if not request.user.has_perm("fulfillment.change_waybill"):
            self.message_user(request, _("You may not void waybills."), "error")
            return
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, str(InvalidInput(_("A reason is needed to void a waybill."))), "error")
            return
        actor = Actor.of_user(request.user)
        run_service(
            self,
            request,
            queryset,
            lambda waybill: waybill_void(waybill=waybill, reason=reason, actor=actor),
            "{count} voided",
        )


@admin.register(Repickup)
class RepickupAdmin(ReadOnlyAdmin):
    list_display = ("order", "old_waybill", "new_waybill", "reason", "status", "created_at", "done_at")
    list_filter = ("status",)
    list_select_related = ("order__shop", "old_waybill__carrier", "new_waybill__carrier")
    actions = ("mark_done",)

    @admin.action(description=_("Picked up again"))
    def mark_done(self, request, queryset):
        actor = Actor.of_user(request.user)
        run_service(
            self, request, queryset, lambda r: repickup_done(repickup_id=r.pk, actor=actor), "{count} done"
        )


class WriteBackStatusFilter(DefaultChoiceFilter):
    title = _("status")
    parameter_name = "status"
    default = "attention"

    def lookups(self, request, model_admin):
        return [("attention", _("needs attention")), *WriteBackStatus.choices, self.all_choice()]

    def filter_by(self, queryset, value):
        if value == "attention":
            return queryset.exclude(status=WriteBackStatus.DONE)
        return queryset.filter(status=value)


@admin.register(ShipWriteBack)
class ShipWriteBackAdmin(ReadOnlyAdmin):
    list_display = (
        "order",
        "shop",
        "waybill",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "done_at",
    )
    list_filter = (WriteBackStatusFilter,)
    search_fields = ("order__platform_order_id", "waybill__number")
    list_select_related = ("order__shop", "waybill__carrier")
    actions = ("retry_now",)

    @admin.display(description=_("shop"))
    def shop(self, writeback):
        return writeback.order.shop

    @admin.action(description=_("Retry now"))
    def retry_now(self, request, queryset):
        if not request.user.has_perm("fulfillment.change_shipwriteback"):
            self.message_user(request, _("You may not retry write-backs."), "error")
            return
        run_service(
            self, request, queryset, lambda w: ship_writeback_retry_now(writeback_id=w.pk), "{count} queued"
        )


@admin.register(PackScan)
class PackScanAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "order", "barcode", "sku", "result", "message", "user")
    list_filter = ("result",)
    search_fields = ("barcode", "order__platform_order_id", "user__username")
    list_select_related = ("order__shop", "sku", "user")


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ("waybill", "occurred_at", "kind", "description", "source")
    list_filter = ("kind", "source")
    search_fields = ("waybill__number",)
    list_select_related = ("waybill__carrier",)
