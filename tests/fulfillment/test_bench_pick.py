"""bench_pick: a temporary dataset of allocated orders, waved and printed; summary then JSON; cleaned up."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fulfillment.models_warehouse import Wave
from orderhub.models import Order

pytestmark = pytest.mark.django_db


def test_bench_pick_prints_the_figures_and_cleans_up():
    out = StringIO()
    call_command("bench_pick", "--orders", "25", stdout=out)

    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["orders"] == 25 and figures["waves"] >= 1
    assert figures["pdf_pages"] >= 3 and figures["wave_create_s"] > 0 and figures["pick_list_pdf_s"] > 0
    assert any(line.startswith("wave creation") for line in lines)
    assert not Wave.objects.exists() and not Order.objects.exists()


def test_bench_pick_refuses_bad_sizes():
    with pytest.raises(CommandError, match="between 1 and 4000"):
        call_command("bench_pick", "--orders", "0")
