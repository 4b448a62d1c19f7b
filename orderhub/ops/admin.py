"""Console pages of the ops app: alerts (acknowledge, take ownership), channels, webhooks and their log."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from orderhub.admin_tools import ReadOnlyAdmin, pretty_json, run_service
from orderhub.exceptions import ApplicationError
from orderhub.ops.models import (
    Alert,
    AlertChannel,
    AlertStatus,
    ChannelMessage,
    WebhookDelivery,
    WebhookSubscription,
)
from orderhub.ops.services.alerts import alert_acknowledge, alert_assign
from orderhub.ops.services.webhooks import subscription_validate, webhook_replay


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("kind", "key", "level", "value", "status", "owner", "fire_count", "last_raised_at")
    list_filter = ("status", "kind", "level")
    search_fields = ("key", "message")
    readonly_fields = (
        "kind",
        "key",
        "level",
        "value",
        "notified_value",
        "message",
        "details_json",
        "status",
        "owner",
        "fire_count",
        "first_raised_at",
        "last_raised_at",
        "last_fired_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
    )
    exclude = ("details",)
    actions = ["acknowledge", "take_ownership"]

    @admin.display(description=_("details"))
    def details_json(self, obj):
        return pretty_json(obj.details)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "acknowledged_by")

    @admin.action(description=_("Acknowledge the selected alerts"), permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        run_service(
            self,
            request,
            queryset.exclude(status=AlertStatus.RESOLVED),
            lambda alert: alert_acknowledge(alert_id=alert.pk, user=request.user),
            _("{count} alerts acknowledged."),
        )

    @admin.action(description=_("Make me the owner"), permissions=["acknowledge"])
    def take_ownership(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda alert: alert_assign(alert_id=alert.pk, owner=request.user),
            _("You own {count} alerts."),
        )

    def has_acknowledge_permission(self, request):
        return request.user.has_perm("ops.acknowledge_alert")


@admin.register(AlertChannel)
class AlertChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "min_level", "rate_per_minute", "max_alerts_per_message")
    list_filter = ("kind", "active")


@admin.register(ChannelMessage)
class ChannelMessageAdmin(ReadOnlyAdmin):
    list_display = ("channel", "sent_at", "ok", "response")
    list_filter = ("channel", "ok")
    readonly_fields = ("channel", "sent_at", "ok", "response", "body_json")
    exclude = ("body",)

    @admin.display(description=_("body"))
    def body_json(self, obj):
        return pretty_json(obj.body)


class WebhookSubscriptionForm(forms.ModelForm):
    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "secret", "events", "active")

    def clean(self):
        data = super().clean()
        try:
            subscription_validate(url=data.get("url") or "", events=data.get("events"))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "active", "created_at")
    list_filter = ("active",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "event", "subscription", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event", "subscription")
    readonly_fields = (
        "subscription",
        "event",
        "payload_json",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "response_body",
        "last_error",
        "created_at",
        "delivered_at",
    )
    exclude = ("payload",)
    actions = ["replay"]

    @admin.display(description=_("payload"))
    def payload_json(self, obj):
        return pretty_json(obj.payload)

    @admin.action(description=_("Replay the selected deliveries"), permissions=["replay"])
    def replay(self, request, queryset):
        run_service(
            self,
            request,
            queryset.select_related("subscription"),
            lambda delivery: webhook_replay(delivery_id=delivery.pk),
            _("{count} deliveries queued again."),
        )

    def has_replay_permission(self, request):
        return request.user.has_perm("ops.replay_webhookdelivery")
