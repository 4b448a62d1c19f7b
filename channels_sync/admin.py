"""The sync console: the inbound log and dead-letter list with replay, sync runs, and pull cursors."""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels_sync.models import InboundEvent, InboundStatus, ShopSyncState, SyncRun
from channels_sync.selectors import (
    DEAD_LETTER,
    inbound_events_for_user,
    replayable_ids,
    sync_runs_for_user,
    sync_states_for_user,
)
from channels_sync.services.inbound import ProcessReport, inbound_replay
from orderhub import personal_data
from orderhub.admin_tools import DefaultChoiceFilter, ReadOnlyAdmin, pretty_json

REPLAY_BATCH = 500
DEAD_LETTERS = "dead_letters"


# ---- inbound payloads: the log and the dead-letter list ----------------------------------------


class InboundStatusFilter(DefaultChoiceFilter):
    """Dead and failed payloads by default: the list is first of all what still needs attention."""

    title = _("status")
    parameter_name = "status"
    default = DEAD_LETTERS

    def lookups(self, request, model_admin):
        return [(DEAD_LETTERS, _("dead or failed")), *InboundStatus.choices, self.all_choice()]

    def filter_by(self, queryset, value):
        return queryset.filter(status__in=DEAD_LETTER if value == DEAD_LETTERS else [value])


def _payload_column(request):
    allowed = personal_data.can_view(request.user)

    def payload(event):
        try:
            data = json.loads(event.payload)
        except ValueError:
            if allowed:
                return format_html("<pre class='raw-payload'>{}</pre>", event.payload)
            # Unparsed text cannot be masked field by field, so it is withheld whole.
            return gettext(
                "Not JSON ({length} characters): shown only to staff allowed to see personal data."
            ).format(length=len(event.payload))
        return pretty_json(data if allowed else personal_data.redact_payload(data))

    payload.short_description = _("payload")
    return payload


def _replay(modeladmin, request, ids: list[int], *, selected: int) -> None:
    """Replays in batches of 500: memory stays bounded and each batch is saved before the next starts."""
    report = ProcessReport()
    for start in range(0, len(ids), REPLAY_BATCH):
        report.add(inbound_replay(ids[start : start + REPLAY_BATCH]))
    failing = report.failed + report.dead
    modeladmin.message_user(
        request,
        gettext(
            "Replayed {replayed} payloads: {created} orders created, {updated} updated, "
            "{unchanged} unchanged; {failing} still failing."
        ).format(
            replayed=len(ids),
            created=report.outcomes["created"],
            updated=report.outcomes["updated"],
            unchanged=report.outcomes["unchanged"] + report.outcomes["stale"],
            failing=failing,
        ),
        messages.WARNING if failing else messages.SUCCESS,
    )
    if selected > len(ids):
        modeladmin.message_user(
            request,
            gettext("{count} payloads skipped: they are waiting for or in a worker's hands.").format(
                count=selected - len(ids)
            ),
            messages.INFO,
        )


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ["console/admin.css"]}

    list_display = (
        "received_at",
        "platform",
        "shop",
        "source",
        "kind",
        "topic",
        "external_id",
        "status",
        "attempts",
        "short_error",
    )
    list_filter = (InboundStatusFilter, "platform", "shop", "source", "kind")
    search_fields = ("=external_id", "=message_id")
    search_help_text = _("Platform order id or message id, exactly.")
    list_select_related = ("shop",)
    list_per_page = 100
    # Counting a table of millions of payloads on every page view is the slow part; the filtered count
    # is enough.
    show_full_result_count = False
    actions = ("replay_selected", "replay_filtered")

    def get_fields(self, request, obj=None):
        return (
            "platform",
            "shop",
            "source",
            "kind",
            "topic",
            "external_id",
            "message_id",
            "needs_fetch",
            "status",
            "attempts",
            "last_error",
            "result",
            "order_link",
            "platform_updated_at",
            "received_at",
            "available_at",
            "claimed_at",
            "processed_at",
            "payload_hash",
            _payload_column(request),
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        # The list never shows payloads: leave them in the database rather than decrypt a page of them.
        return inbound_events_for_user(request.user).defer("payload")

    @admin.display(description=_("last error"))
    def short_error(self, event):
        return Truncator(event.last_error).chars(80)

    @admin.display(description=_("order"))
    def order_link(self, event):
        if event.order_id is None:
            return "—"
        url = reverse("admin:orderhub_order_change", args=[event.order_id])
        return format_html('<a href="{}">{}</a>', url, event.order_id)

    def has_replay_permission(self, request):
        return request.user.has_perm("channels_sync.replay_inboundevent")

    @admin.action(description=_("Replay the selected payloads"), permissions=["replay"])
    def replay_selected(self, request, queryset):
        ids = replayable_ids(queryset)
        _replay(self, request, ids, selected=queryset.count())

    @admin.action(
        description=_("Replay every dead letter matching the current filters (whatever is ticked)"),
        permissions=["replay"],
    )
    def replay_filtered(self, request, queryset):
        # Django passes only the ticked rows (or all of them with "select all"); this action means the
        # whole filtered list, so it rebuilds it from the filters in the URL.
        ids = replayable_ids(self.get_changelist_instance(request).queryset, dead_letters_only=True)
        _replay(self, request, ids, selected=len(ids))


# ---- sync runs and pull cursors ------------------------------------------------------------------


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ["console/admin.css"]}

    list_display = (
        "shop",
        "kind",
        "window",
        "started_at",
        "duration",
        "ok",
        "pages",
        "orders_new",
        "orders_updated",
        "orders_unchanged",
        "errors",
        "short_error",
    )
    list_filter = ("shop", "kind", "ok")
    list_select_related = ("shop",)
    list_per_page = 100
    show_full_result_count = False
    fields = readonly_fields = (
        "shop",
        "kind",
        "window",
        "started_at",
        "finished_at",
        "duration",
        "ok",
        "pages",
        "orders_new",
        "orders_updated",
        "orders_unchanged",
        "errors",
        "error_message",
        "details_json",
    )

    def get_queryset(self, request):
        return sync_runs_for_user(request.user)

    @admin.display(description=_("window"), ordering="window_start")
    def window(self, run):
        return f"{localtime(run.window_start):%Y-%m-%d %H:%M} – {localtime(run.window_end):%Y-%m-%d %H:%M}"

    @admin.display(description=_("duration"))
    def duration(self, run):
        seconds = run.duration_seconds
        return "—" if seconds is None else gettext("{seconds:.1f} s").format(seconds=seconds)

    @admin.display(description=_("error"))
    def short_error(self, run):
        return Truncator(run.error_message).chars(80)

    @admin.display(description=_("details"))
    def details_json(self, run):
        return pretty_json(run.details)


@admin.register(ShopSyncState)
class ShopSyncStateAdmin(ReadOnlyAdmin):
    list_display = ("shop", "cursor", "last_success_at", "auth_error")
    list_select_related = ("shop",)
    fields = readonly_fields = ("shop", "cursor", "last_success_at", "auth_error")

    def get_queryset(self, request):
        return sync_states_for_user(request.user)
