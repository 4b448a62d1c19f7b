"""The decisions console: every paid order's fulfillment record in queue order (VIP and expedited
first), why it can or cannot merge with another order, and the merged parcels."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from fulfillment.models_decisions import MergeGroup, OrderFulfillment
from fulfillment.selectors_merge import merge_checks_for
from fulfillment.services.merge import merge_group_dissolve, orders_merge
from orderhub.events import Actor
from orderhub.exceptions import ApplicationError
from orderhub.selectors import orders_for_user


def _order_link(order_id: int, label) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:orderhub_order_change", args=[order_id]), label)


@admin.register(OrderFulfillment)
class OrderFulfillmentAdmin(admin.ModelAdmin):
    list_display = (
        "order_link",
        "state",
        "priority",
        "warehouse",
        "carrier",
        "carrier_surcharge",
        "estimated_delivery_at",
        "merge_group",
        "merge_checks_link",
        "decided_at",
    )
    list_filter = ("state", "warehouse", "carrier", "split")
    search_fields = ("order__platform_order_id",)
    ordering = ("priority_rank",)
    list_select_related = ("order", "warehouse", "carrier")
    actions = ["merge_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(order__in=orders_for_user(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_merge_permission(self, request):
        return request.user.has_perm("fulfillment.add_mergegroup")

    @admin.display(description=_("order"), ordering="order__platform_order_id")
    def order_link(self, record):
        return _order_link(record.order_id, record.order)

    @admin.display(description=_("queue"), ordering="priority_rank", boolean=True)
    def priority(self, record):
        """VIP buyers and expedited orders come first in the queue and on the pick list."""
        return record.priority_rank.startswith("0")

    @admin.display(description=_("merge"))
    def merge_checks_link(self, record):
        url = reverse("admin:fulfillment_orderfulfillment_merge_checks", args=[record.order_id])
        return format_html('<a href="{}">{}</a>', url, _("why (not)"))

    @admin.action(description=_("Merge the selected orders into one parcel"), permissions=["merge"])
    def merge_selected(self, request, queryset):
        try:
            group = orders_merge(
                order_ids=list(queryset.values_list("order_id", flat=True)), actor=Actor.of_user(request.user)
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("Merged into parcel #%(group)s.") % {"group": group.pk})

    def get_urls(self):
        return [
            path(
                "<int:order_id>/merge-checks/",
                self.admin_site.admin_view(self.merge_checks_view),
                name="fulfillment_orderfulfillment_merge_checks",
            ),
            *super().get_urls(),
        ]

    def merge_checks_view(self, request, order_id: int):
        """Each possible partner of the order, whether it can merge and every reason; merge from here."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(self.get_queryset(request).select_related("order"), order_id=order_id)
        if request.method == "POST":
            if not self.has_merge_permission(request):
                raise PermissionDenied
            try:
                partner = int(request.POST.get("partner", ""))
                group = orders_merge(order_ids=[order_id, partner], actor=Actor.of_user(request.user))
            except ValueError:
                self.message_user(request, _("Choose an order to merge with."), messages.ERROR)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Merged into parcel #%(group)s.") % {"group": group.pk})
            return redirect(request.path)
        visible = set(orders_for_user(request.user).values_list("pk", flat=True))
        checks = [check for check in merge_checks_for(order_id) if check.order_ids[1] in visible]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Merge checks of %(order)s") % {"order": record.order},
            "record": record,
            "checks": checks,
            "can_merge": self.has_merge_permission(request),
        }
        return render(request, "admin/fulfillment/orderfulfillment/merge_checks.html", context)


class SplitForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


@admin.register(MergeGroup)
class MergeGroupAdmin(admin.ModelAdmin):
    list_display = ("__str__", "orders_list", "created_by", "created_at", "split_link")
    list_select_related = ("created_by",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("orders"))
    def orders_list(self, group):
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:orderhub_order_change", args=[r.order_id]), r.order)
                for r in group.orders.select_related("order")
            ),
        )

    @admin.display(description=_("split"))
    def split_link(self, group):
        url = reverse("admin:fulfillment_mergegroup_split", args=[group.pk])
        return format_html('<a href="{}">{}</a>', url, _("split back into orders"))

    def get_urls(self):
        return [
            path(
                "<int:group_id>/split/",
                self.admin_site.admin_view(self.split_view),
                name="fulfillment_mergegroup_split",
            ),
            *super().get_urls(),
        ]

    def split_view(self, request, group_id: int):
        if not request.user.has_perm("fulfillment.add_mergegroup"):
            raise PermissionDenied
        group = get_object_or_404(MergeGroup, pk=group_id)
        form = SplitForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                merge_group_dissolve(
                    group_id=group.pk, actor=Actor.of_user(request.user), reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, _("Parcel #%(group)s split back into its orders.") % {"group": group_id}
                )
                return redirect("admin:fulfillment_mergegroup_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Split parcel #%(group)s") % {"group": group_id},
            "form": form,
            "group": group,
        }
        return render(request, "admin/fulfillment/mergegroup/split.html", context)
