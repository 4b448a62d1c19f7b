"""The console home page: each member of staff sees the way into their own work."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orderhub.dashboard.tiles import ops_tiles
from orderhub.selectors import open_holds, orders_for_user
from orderhub.status import OrderStatus


@dataclass(frozen=True)
class Tile:
    title: str
    description: str
    url: str
    permission: str
    count: int | None = None


def _tiles(user) -> list[Tile]:
    orders = reverse("admin:orderhub_order_changelist")
    tiles = [
        Tile(
            _("Decision queue"),
            _("Orders held for a person's decision, most urgent first."),
            reverse("admin:orderhub_hold_changelist"),
            "orderhub.view_hold",
            open_holds(user).count() if user.has_perm("orderhub.view_hold") else None,
        ),
        Tile(
            _("Paid, awaiting shipment"),
            _("Every paid order not yet shipped."),
            f"{orders}?status__exact={OrderStatus.PAID}",
            "orderhub.view_order",
            orders_for_user(user).filter(status=OrderStatus.PAID).count()
            if user.has_perm("orderhub.view_order")
            else None,
        ),
        Tile(
            _("All orders"),
            _("Search by order number, phone or tracking number."),
            orders,
            "orderhub.view_order",
        ),
        Tile(
            _("SKUs"),
            _("Our catalogue, with barcodes; import and export sheets."),
            reverse("admin:orderhub_sku_changelist"),
            "orderhub.view_sku",
        ),
        Tile(
            _("SKU mappings"),
            _("Which platform SKU is which of ours, bundles included."),
            reverse("admin:orderhub_skumapping_changelist"),
            "orderhub.view_skumapping",
        ),
        Tile(
            _("Shops"),
            _("Channels, credentials and sync settings."),
            reverse("admin:orderhub_shop_changelist"),
            "orderhub.view_shop",
        ),
        Tile(
            _("Sync health"),
            _("Per shop: last pull, lag, errors, dead letters and token expiry."),
            reverse("sync-health"),
            "channels_sync.view_syncrun",
        ),
        Tile(
            _("Stock"),
            _("On hand, allocated and available per warehouse; adjust with a reason, import counts."),
            reverse("admin:fulfillment_stock_changelist"),
            "fulfillment.view_stock",
        ),
        Tile(
            _("Decision rules"),
            _("Hold, merge and split settings; routing, carrier and gift rules."),
            reverse("admin:fulfillment_fulfillmentsettings_changelist"),
            "fulfillment.view_fulfillmentsettings",
        ),
        Tile(
            _("Waves and pick lists"),
            _("Batch allocated orders into a wave and print its pick list."),
            reverse("warehouse-waves"),
            "fulfillment.view_wave",
        ),
        Tile(
            _("Pack station"),
            _("Scan the order, then every item; print the waybill and ship."),
            reverse("warehouse-pack"),
            "fulfillment.add_packscan",
        ),
        Tile(
            _("Ship write-backs"),
            _("Tracking numbers not yet accepted by the platform, retried until they are."),
            reverse("admin:fulfillment_shipwriteback_changelist"),
            "fulfillment.view_shipwriteback",
            # The wiring reads a higher app's model by name (the console home composes every app).
            apps.get_model("fulfillment", "ShipWriteBack").objects.filter(status="failed").count()
            if user.has_perm("fulfillment.view_shipwriteback")
            else None,
        ),
        Tile(
            _("Refunds"),
            _("All platforms' refunds in one status language: review queue, unmapped statuses, sync delay."),
            reverse("admin:refunds_refund_changelist"),
            "refunds.view_refund",
        ),
        Tile(
            _("Returns in"),
            _("Scan a returned parcel, inspect it, put good items back in stock."),
            reverse("returns-scan"),
            "refunds.receive_return",
        ),
        Tile(
            _("Reconciliation"),
            _("Per shop and month: paid, refunded and net per order, daily totals, disagreements."),
            reverse("reconciliation-export"),
            "refunds.export_reconciliation",
        ),
        *(Tile(*tile) for tile in ops_tiles(user)),
        Tile(
            _("Background tasks"),
            _("Schedules and failed tasks of the worker."),
            reverse("admin:django_q_schedule_changelist"),
            "django_q.view_schedule",
        ),
        Tile(
            _("API documentation"), _("REST API v1 for developers and integrations."), reverse("api-docs"), ""
        ),
    ]
    return [tile for tile in tiles if not tile.permission or user.has_perm(tile.permission)]


@login_required
def console_home(request):
    return render(request, "console/home.html", {"tiles": _tiles(request.user)})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
