"""Warehouse pages: waves (create, pick list PDF, picked), the pack-scan station (built for a
keyboard-wedge scanner), the waybill label, and Kuaidi100's tracking callback. Views stay thin:
selectors read, services write."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from channels_sync.carriers.tracking import KUAIDI100_CALLBACK_OK
from fulfillment.models import Carrier, Warehouse
from fulfillment.models_warehouse import Wave, Waybill
from fulfillment.pdf.label import labels_pdf
from fulfillment.pdf.picklist import pick_list_pdf
from fulfillment.selectors_warehouse import WaveFilters, label_data, pick_list, waves_for_console
from fulfillment.services.packing import pack_scan
from fulfillment.services.shipping import order_ship
from fulfillment.services.tracking import kuaidi100_callback
from fulfillment.services.waves import wave_create, wave_picked
from fulfillment.services.waybills import waybill_issue, waybill_printed
from orderhub.events import Actor
from orderhub.exceptions import ApplicationError
from orderhub.models import Order, Shop


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _int_or_none(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ApplicationError(_("%(value)r is not a number.") % {"value": value})
    return int(value)


@login_required
@permission_required("fulfillment.view_wave", raise_exception=True)
@require_http_methods(["GET", "POST"])
def wave_list(request):
    if request.method == "POST":
        if not request.user.has_perm("fulfillment.add_wave"):
            messages.error(request, _("You may not create waves."))
            return redirect("warehouse-waves")
        try:
            filters = WaveFilters(
                warehouse_id=_int_or_none(request.POST.get("warehouse")) or 0,
                carrier_id=_int_or_none(request.POST.get("carrier")),
                shop_id=_int_or_none(request.POST.get("shop")),
                kind=request.POST.get("kind", ""),
                limit=_int_or_none(request.POST.get("limit")) or 500,
                priority_first=request.POST.get("priority_first", "on") == "on",
            )
            wave = wave_create(filters=filters, actor=Actor.of_user(request.user))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Wave %(code)s created with %(count)d orders.")
                % {"code": wave.code, "count": wave.wave_orders.count()},
            )
        return redirect("warehouse-waves")
    return render(
        request,
        "fulfillment/waves.html",
        {
            "waves": waves_for_console()[:50],
            "warehouses": Warehouse.objects.filter(active=True),
            "carriers": Carrier.objects.filter(active=True),
            "shops": Shop.objects.filter(active=True).order_by("name"),
            "can_create": request.user.has_perm("fulfillment.add_wave"),
        },
    )


@login_required
@permission_required("fulfillment.view_wave", raise_exception=True)
def wave_pick_list(request, wave_id: int):
    wave = get_object_or_404(Wave.objects.select_related("warehouse"), pk=wave_id)
    return _pdf(pick_list_pdf(pick_list(wave)), f"pick-list-{wave.code}.pdf")


@login_required
@permission_required("fulfillment.change_wave", raise_exception=True)
@require_POST
def wave_mark_picked(request, wave_id: int):
    wave = wave_picked(wave_id=get_object_or_404(Wave, pk=wave_id).pk, actor=Actor.of_user(request.user))
    messages.success(request, _("Wave %(code)s picked.") % {"code": wave.code})
    return redirect("warehouse-waves")


@login_required
@permission_required("fulfillment.add_packscan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def pack_station(request):
    outcome = None
    if request.method == "POST":
        try:
            order_id = _int_or_none(request.POST.get("order"))
        except ApplicationError:
            order_id = None
        outcome = pack_scan(barcode=request.POST.get("barcode", ""), user=request.user, order_id=order_id)
    # A refused unit keeps the order open at the station; a refused order (a hold) closes it.
    open_order = outcome.order if outcome and not outcome.packed else None
    return render(
        request,
        "fulfillment/pack_station.html",
        {
            "outcome": outcome,
            "open_order": open_order,
            "packed_order": outcome.order if outcome and outcome.packed else None,
        },
    )


@login_required
@permission_required("fulfillment.change_waybill", raise_exception=True)
@require_POST
def pack_label(request, order_id: int):
    """The packed order's label: its waybill is issued now if it has none, and the print counted."""
    order = get_object_or_404(Order, pk=order_id)
    actor = Actor.of_user(request.user)
    try:
        waybill = waybill_printed(waybill=waybill_issue(order_id=order.pk, actor=actor), actor=actor)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.http_status, content_type="text/plain; charset=utf-8")
    return _pdf(labels_pdf([label_data(waybill)]), f"label-{waybill.number}.pdf")


@login_required
@permission_required("fulfillment.change_waybill", raise_exception=True)
@require_POST
def pack_ship(request, order_id: int):
    order = get_object_or_404(Order, pk=order_id)
    try:
        order_ship(order_id=order.pk, actor=Actor.of_user(request.user))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(order)s shipped; the tracking number is on its way to the platform.")
            % {"order": order.platform_order_id},
        )
    return redirect("warehouse-pack")


@login_required
@permission_required("fulfillment.change_waybill", raise_exception=True)
def waybill_label(request, waybill_id: int):
    """Reprint a waybill's label (counted)."""
    waybill = get_object_or_404(Waybill.objects.select_related("carrier", "order"), pk=waybill_id)
    try:
        waybill = waybill_printed(waybill=waybill, actor=Actor.of_user(request.user))
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.http_status, content_type="text/plain; charset=utf-8")
    return _pdf(labels_pdf([label_data(waybill)]), f"label-{waybill.number}.pdf")


@csrf_exempt
@require_POST
def kuaidi100_hook(request):
    """Kuaidi100's subscription push (form: param, sign). A refusal is answered with returnCode 500 so
    Kuaidi100 sends it again; nothing is lost."""
    try:
        kuaidi100_callback(param=request.POST.get("param", ""), sign=request.POST.get("sign", ""))
    except ApplicationError as exc:
        body = {"result": False, "returnCode": "500", "message": exc.message}
        return HttpResponse(json.dumps(body, ensure_ascii=False), status=400, content_type="application/json")
    return JsonResponse(KUAIDI100_CALLBACK_OK, json_dumps_params={"ensure_ascii": False})
