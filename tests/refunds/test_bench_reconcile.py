"""bench_reconcile prints a summary, then its figures as JSON on the last line (small run, no timing)."""

import io
import json

import pytest
from django.core.management import call_command

from orderhub.models import Order, Shop

pytestmark = pytest.mark.django_db


def test_bench_reconcile_prints_figures_and_cleans_up():
    out = io.StringIO()
    call_command("bench_reconcile", "--orders", "300", stdout=out)
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])

    assert figures["orders"] == 300
    assert {"csv_s", "xlsx_s", "csv_peak_mb", "xlsx_peak_mb", "csv_mb", "xlsx_mb"} <= set(figures)
    assert "csv :" in out.getvalue() and "xlsx:" in out.getvalue()
    assert not Shop.objects.filter(code="bench-reconcile").exists() and not Order.objects.exists()
