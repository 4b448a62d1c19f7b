"""The operations dashboard page (server-rendered; charts drawn by the vendored Chart.js)."""

from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orderhub.dashboard.selectors import PARTS, dashboard_data, local_date

MAX_DAYS = 31


class DashboardForm(forms.Form):
    days = forms.IntegerField(label=_("days"), min_value=1, max_value=MAX_DAYS, required=False, initial=7)
    baseline_from = forms.DateField(label=_("baseline from"), required=False)
    baseline_to = forms.DateField(label=_("baseline to"), required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("baseline_from"), data.get("baseline_to")
        if bool(first) != bool(last):
            raise forms.ValidationError(_("Give both ends of the baseline period, or neither."))
        if first and last and first > last:
            raise forms.ValidationError(_("The baseline period ends before it starts."))
        if first and last and (last - first).days > 366:
            raise forms.ValidationError(_("The baseline period may span a year at most."))
        return data


@login_required
@permission_required("ops.view_dashboard", raise_exception=True)
def dashboard(request):
    form = DashboardForm(request.GET or None)
    days, baseline = 7, None
    status = 200
    if request.GET:
        if form.is_valid():
            days = form.cleaned_data.get("days") or 7
            if form.cleaned_data.get("baseline_from"):
                baseline = (form.cleaned_data["baseline_from"], form.cleaned_data["baseline_to"])
        else:
            status = 400
    today: date = local_date(timezone.now())
    data = dashboard_data(
        user=request.user,
        days=days,
        baseline=baseline,
        current=(today - timedelta(days=days - 1), today),
    )
    charts = {
        "ordersPerHour": data["orders_per_hour"],
        "exceptions": {
            "labels": [row["kind"] for row in data["exceptions"]],
            "counts": [row["count"] for row in data["exceptions"]],
        },
        "cycle": data["cycle"]["over_time"] if data["cycle"] else None,
        "health": data["health_chart"],
    }
    context = data | {"form": form, "charts": charts, "parts": PARTS}
    return render(request, "dashboard/dashboard.html", context, status=status)
