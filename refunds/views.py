"""Console pages of the refunds app: the returns-in scan station and the finance reconciliation export."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fulfillment.models import Warehouse
from orderhub.exceptions import ApplicationError
from orderhub.models import OrderLineSku, Shop
from refunds.models import Condition, ReturnParcel
from refunds.reconciliation import Period, csv_lines, export_filename, reconciliation_rows, write_xlsx
from refunds.services.returns import InspectedItem, return_find, return_inspect


def _expected_items(parcel: ReturnParcel) -> list[dict]:
    """What should come back: the refund's lines in our SKUs (the whole order when the refund names none)."""
    line_ids = [line.order_line_id for line in parcel.refund.lines.all() if line.order_line_id]
    quantities = {
        line.order_line_id: line.quantity for line in parcel.refund.lines.all() if line.order_line_id
    }
    mapped = OrderLineSku.objects.filter(line__order=parcel.order).select_related("sku", "line")
    if line_ids:
        mapped = mapped.filter(line_id__in=line_ids)
    items = []
    for row in mapped.order_by("line_id", "sku_id"):
        asked = quantities.get(row.line_id) or row.line.quantity
        per_unit = max(row.quantity // max(row.line.quantity, 1), 1)
        items.append({"sku": row.sku, "quantity": min(row.quantity, asked * per_unit)})
    return items


@login_required
@permission_required("refunds.receive_return", raise_exception=True)
def returns_scan(request):
    code = (request.GET.get("code") or "").strip()
    if request.method == "POST":
        return _inspect(request)
    parcels, error = [], ""
    if code:
        try:
            parcels = return_find(code=code)
        except ApplicationError as exc:
            error = exc.message
        if not parcels and not error:
            error = _("No return is expected for %(code)s.") % {"code": code}
    return render(
        request,
        "refunds/returns_scan.html",
        {
            "code": code,
            "error": error,
            "parcels": [{"parcel": parcel, "items": _expected_items(parcel)} for parcel in parcels],
            "warehouses": Warehouse.objects.filter(active=True).order_by("priority", "code"),
            "conditions": Condition.choices,
        },
    )


def _inspect(request):
    try:
        parcel_id = int(request.POST["parcel"])
        warehouse_id = int(request.POST["warehouse"])
        sku_ids = request.POST.getlist("sku")
        items = [
            InspectedItem(int(sku_id), int(quantity or 0), condition)
            for sku_id, quantity, condition in zip(
                sku_ids, request.POST.getlist("quantity"), request.POST.getlist("condition"), strict=True
            )
            if int(quantity or 0) > 0
        ]
        return_inspect(parcel_id=parcel_id, items=items, warehouse_id=warehouse_id, user=request.user)
    except (KeyError, ValueError):
        messages.error(
            request, _("The inspection form is incomplete: parcel, warehouse and every item's quantity.")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Return inspected: good items are back in stock, the refund moves on."))
    return redirect(f"{request.path}?code={request.POST.get('code', '')}")


class ReconciliationForm(forms.Form):
    shop = forms.ModelChoiceField(label=gettext_lazy("shop"), queryset=Shop.objects.order_by("code"))
    month = forms.RegexField(
        label=gettext_lazy("month"), regex=r"^\d{4}-\d{2}$", help_text=gettext_lazy("for example 2026-10")
    )
    format = forms.ChoiceField(label=gettext_lazy("format"), choices=(("xlsx", ".xlsx"), ("csv", ".csv")))

    def clean_month(self):
        try:
            return Period.month(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@login_required
@permission_required("refunds.export_reconciliation", raise_exception=True)
def reconciliation_export(request):
    form = ReconciliationForm(request.GET or None)
    if not request.GET or not form.is_valid():
        return render(request, "refunds/reconciliation.html", {"form": form})
    shop, period, kind = form.cleaned_data["shop"], form.cleaned_data["month"], form.cleaned_data["format"]
    name = export_filename(shop, period, kind)
    if kind == "csv":
        response = StreamingHttpResponse(
            csv_lines(reconciliation_rows(shop, period)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    import tempfile

    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it; the workbook goes to disk
    write_xlsx(reconciliation_rows(shop, period), spool, title=period.label)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
