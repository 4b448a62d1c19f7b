"""Pieces every app's console pages share."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orderhub.exceptions import ApplicationError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records (orders as received, holds, payloads, runs): changed only through services and actions."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A list filter with a value applied when none is chosen (the queue shows what needs attention)."""

    default: str = ""

    def choices(self, changelist):
        value = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.default
        return queryset if value == "all" else self.filter_by(queryset, value)

    def filter_by(self, queryset, value):
        return queryset.filter(**{self.parameter_name: value})

    @staticmethod
    def all_choice():
        return ("all", _("All"))


def pretty_json(value) -> str:
    return format_html("<pre class='raw-payload'>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2))


def run_service(modeladmin, request, items, call, done_message):
    """Runs a service per selected item; each failure is reported, the others still go through."""
    done = 0
    for item in items:
        try:
            call(item)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{item}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message.format(count=done), messages.SUCCESS)
