"""The refunds console: the refund list and reviewer queue (approve; reject with a reason), the status
mapping with its history (a save re-evaluates waiting refunds), policy settings, returns and poll state."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orderhub.admin_tools import ReadOnlyAdmin, pretty_json, run_service
from orderhub.events import Actor
from refunds.models import (
    DecisionState,
    Refund,
    RefundEvent,
    RefundLine,
    RefundPolicySettings,
    RefundStatusMapping,
    RefundStatusMappingChange,
    RefundSyncState,
    ReturnInspection,
    ReturnParcel,
    ReviewState,
)
from refunds.selectors import sync_delay_by_platform
from refunds.services.decide import decision_resend, refund_decide
from refunds.services.mapping import mapping_save


class RefundLineInline(admin.TabularInline):
    model = RefundLine
    extra = 0
    can_delete = False
    fields = ("platform_line_id", "outer_sku_code", "platform_sku_id", "quantity", "amount", "order_line")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class RefundEventInline(admin.TabularInline):
    model = RefundEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "type", "actor_label", "parameters")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason sent to the platform"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class UnmappedFilter(admin.SimpleListFilter):
    title = _("status mapping")
    parameter_name = "unmapped"

    def lookups(self, request, model_admin):
        return (("1", _("unmapped")), ("0", _("mapped")))

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(unmapped=self.value() == "1")
        return queryset


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "platform_refund_id", "shop", "order_link", "type", "raw_status", "status_or_flag", "amount",
        "review_state", "decision", "decision_state", "intercepted", "platform_modified_at",
    )  # fmt: skip
    list_filter = (
        "status", UnmappedFilter, "review_state", "shop__platform", "type", "decision_state", "intercepted",
        "return_expected",
    )  # fmt: skip
    search_fields = ("platform_refund_id", "platform_order_id", "return_tracking_number")
    list_select_related = ("shop", "order")
    date_hierarchy = "created_at"
    inlines = (RefundLineInline, RefundEventInline)
    actions = ("approve", "reject", "resend")
    exclude = ("raw_payload",)
    readonly_fields = ("payload",)
    change_list_template = "admin/refunds/refund/change_list.html"

    @admin.display(description=_("order"))
    def order_link(self, refund):
        if not refund.order_id:
            return format_html("<span class='warn'>{}</span>", refund.platform_order_id)
        url = reverse("admin:orderhub_order_change", args=[refund.order_id])
        return format_html('<a href="{}">{}</a>', url, refund.platform_order_id)

    @admin.display(description=_("status"), ordering="status")
    def status_or_flag(self, refund):
        if refund.unmapped:
            return format_html("<strong class='alarm'>{}</strong>", _("unmapped"))
        return refund.get_status_display()

    @admin.display(description=_("platform case"))
    def payload(self, refund):
        return pretty_json(refund.raw_payload)

    def has_decide_permission(self, request):
        return request.user.has_perm("refunds.decide_refund")

    def changelist_view(self, request, extra_context=None):
        extra = {
            "sync_delays": sync_delay_by_platform(),
            "queue_count": Refund.objects.filter(review_state=ReviewState.QUEUED).count(),
            "escalated_count": Refund.objects.filter(review_state=ReviewState.ESCALATED).count(),
            "unmapped_count": Refund.objects.filter(unmapped=True).count(),
        }
        return super().changelist_view(request, extra_context=(extra_context or {}) | extra)

    @admin.action(description=_("Approve the selected refunds"), permissions=["decide"])
    def approve(self, request, queryset):
        actor = Actor.of_user(request.user)
        run_service(
            self, request, queryset,
            lambda refund: refund_decide(refund_id=refund.pk, approve=True, reason="", actor=actor),
            str(_("{count} refunds approved; the decisions are being sent to the platforms.")),
        )  # fmt: skip

    @admin.action(description=_("Send the decision to the platform again"), permissions=["decide"])
    def resend(self, request, queryset):
        run_service(
            self, request, queryset.filter(decision_state=DecisionState.FAILED),
            lambda refund: decision_resend(refund_id=refund.pk, actor=Actor.of_user(request.user)),
            str(_("{count} decisions queued to be sent again.")),
        )  # fmt: skip

    @admin.action(description=_("Reject the selected refunds (asks for a reason)"), permissions=["decide"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "confirm_reject" in request.POST else None)
        if "confirm_reject" in request.POST and form.is_valid():
            actor = Actor.of_user(request.user)
            reason = form.cleaned_data["reason"]
            run_service(
                self, request, queryset,
                lambda refund: refund_decide(refund_id=refund.pk, approve=False, reason=reason, actor=actor),
                str(_("{count} refunds rejected; the decisions are being sent to the platforms.")),
            )  # fmt: skip
            return None
        if "confirm_reject" in request.POST:
            self.message_user(request, _("A rejection needs a reason."), messages.ERROR)
        return TemplateResponse(
            request,
            "admin/refunds/refund/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject refunds"),
                "refunds": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


class MappingChangeInline(admin.TabularInline):
    model = RefundStatusMappingChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "user", "old_status", "new_status", "reevaluated")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RefundStatusMapping)
class RefundStatusMappingAdmin(admin.ModelAdmin):
    list_display = ("platform", "raw_status", "refund_type", "status", "note", "updated_at")
    list_filter = ("platform", "status", "refund_type")
    search_fields = ("raw_status", "note")
    fields = ("platform", "raw_status", "refund_type", "status", "note")
    inlines = (MappingChangeInline,)

    def save_model(self, request, obj, form, change):
        """Through the service: a change row, and every refund with this raw status re-evaluated."""
        mapping, count = mapping_save(
            platform=obj.platform, raw_status=obj.raw_status, refund_type=obj.refund_type, status=obj.status,
            note=obj.note, user=request.user, mapping_id=obj.pk if change else None,
        )  # fmt: skip
        obj.pk = mapping.pk
        if count:
            self.message_user(request, _("%(count)d refunds re-evaluated.") % {"count": count}, messages.INFO)

    def has_delete_permission(self, request, obj=None):
        return False  # a wrong row is corrected, never removed: the history must stay readable


@admin.register(RefundStatusMappingChange)
class RefundStatusMappingChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "platform", "raw_status", "refund_type", "old_status", "new_status", "user",
                    "reevaluated")  # fmt: skip
    list_filter = ("platform",)


@admin.register(RefundPolicySettings)
class RefundPolicySettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "auto_approve",
        "auto_approve_below",
        "silent_period_hours",
        "escalation_hours",
    )

    def has_add_permission(self, request):
        return not RefundPolicySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class InspectionInline(admin.TabularInline):
    model = ReturnInspection
    extra = 0
    can_delete = False
    fields = ("sku", "quantity", "condition", "warehouse_code", "restocked", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReturnParcel)
class ReturnParcelAdmin(ReadOnlyAdmin):
    list_display = ("order", "refund", "state", "tracking_number", "created_at", "received_at")
    list_filter = ("state",)
    search_fields = ("tracking_number", "order__platform_order_id", "refund__platform_refund_id")
    list_select_related = ("order", "refund", "order__shop", "refund__shop")
    inlines = (InspectionInline,)


@admin.register(RefundSyncState)
class RefundSyncStateAdmin(ReadOnlyAdmin):
    list_display = ("shop", "cursor", "last_success_at", "stored_last", "lag_minutes", "last_error")

    @admin.display(description=_("lag (minutes)"))
    def lag_minutes(self, state):
        return int((timezone.now() - state.cursor).total_seconds() // 60) if state.cursor else None
