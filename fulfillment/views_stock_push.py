"""The per-SKU stock push page: what each shop should show beside what it was last told."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fulfillment.services.stock_push import stock_push_now, stock_push_overview
from orderhub.models import Sku


@login_required
@permission_required("fulfillment.view_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stock_push_page(request, sku_code: str):
    sku = get_object_or_404(Sku, code=sku_code)
    if request.method == "POST":
        if not request.user.has_perm("fulfillment.change_stock"):
            raise PermissionDenied
        pushed = stock_push_now(sku_id=sku.pk)
        messages.info(
            request, _("Pushed to %(count)d shop(s); failures are shown per shop.") % {"count": pushed}
        )
        return redirect("stock-push", sku_code=sku.code)
    return render(
        request,
        "fulfillment/stock_push.html",
        {
            "sku": sku,
            "rows": stock_push_overview(sku_id=sku.pk),
            "can_push": request.user.has_perm("fulfillment.change_stock"),
        },
    )
