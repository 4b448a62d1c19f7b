"""rules_dry_run: a rule replayed over recent paid orders gives counts and a sample, and writes nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fulfillment.demo import seed_fulfillment_demo
from fulfillment.models import Allocation, FulfillmentSettings, Stock, Warehouse
from fulfillment.models_decisions import OrderFulfillment
from fulfillment.services.dry_run import rules_dry_run
from orderhub.exceptions import InvalidInput
from orderhub.models import Hold, Order, OrderEvent, OrderLine, OrderLineSku, Sku
from orderhub.normalized import NormalizedReceiver
from tests.factories import line, make_order, make_shop, make_sku
from tests.fulfillment.conftest import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders():
    """Three paid orders (paid 11 days ago): one earns the demo gift, one does not, one has a bad address."""
    seed_fulfillment_demo()
    sz = Warehouse.objects.get(code="SZ")
    main, gift, other = Sku.objects.get(code="ZP-2026-01"), Sku.objects.get(code="FP-001"), make_sku()
    for sku in (main, gift, other):
        make_stock(sz, sku, on_hand=10)
    shop = make_shop()
    return {
        "gift": make_order(shop, lines=[line(outer=main.code, price="299.00")], phone="13500000001"),
        "plain": make_order(shop, lines=[line(outer=other.code)], phone="13500000002", buyer_id="b2"),
        "address": make_order(
            shop,
            lines=[line(outer=other.code)],
            buyer_id="b3",
            receiver=NormalizedReceiver("赵六", "13500000003", "", "", "", "某某路 1 号"),
        ),
    }


def snapshot() -> dict:
    """Every row the decisions could touch, as values."""
    return {
        model.__name__: sorted(map(str, model.objects.values_list()))
        for model in (
            Order,
            OrderLine,
            OrderLineSku,
            OrderEvent,
            Hold,
            Stock,
            Allocation,
            OrderFulfillment,
            FulfillmentSettings,
        )
    }


def test_gift_rule_dry_run_counts_and_samples_without_writing(orders):
    before = snapshot()

    report = rules_dry_run(days=30, rule="gifts")

    assert report.orders == 3
    assert report.counts == {"FP-001": 1, "none": 2}
    by_order = {order_id: (outcome, reason) for order_id, outcome, reason in report.sample}
    assert by_order[orders["gift"].pk][0] == "FP-001"
    assert "applies" in by_order[orders["gift"].pk][1]
    assert by_order[orders["plain"].pk] == ("none", "no gift rule applies")
    assert snapshot() == before


def test_hold_rule_dry_run_finds_the_bad_address_and_writes_nothing(orders):
    before = snapshot()

    report = rules_dry_run(days=30, rule="holds", limit_sample=1)

    assert report.counts == {"none": 2, "address": 1}
    assert len(report.sample) == 1
    assert snapshot() == before


def test_routing_and_carrier_dry_runs(orders):
    assert rules_dry_run(days=30, rule="routing").counts == {"SZ": 2, "none": 1}
    assert rules_dry_run(days=30, rule="carrier").counts == {"ZTO": 2, "none": 1}


def test_only_orders_paid_within_the_days_are_replayed(orders):
    assert rules_dry_run(days=1, rule="gifts").orders == 0  # the orders were paid 11 days ago


def test_bad_input_is_refused():
    with pytest.raises(InvalidInput):
        rules_dry_run(days=30, rule="merge")
    with pytest.raises(InvalidInput):
        rules_dry_run(days=0, rule="gifts")


def test_command_prints_counts_and_sample(orders):
    out = StringIO()

    call_command("rules_dry_run", "--rule", "gifts", "--days", "30", stdout=out)

    text = out.getvalue()
    assert "paid orders of the last 30 days: 3" in text
    assert "FP-001: 1" in text and "none: 2" in text
    assert f"{orders['gift'].pk}  FP-001" in text
    assert "13500000001" not in text


def test_command_refuses_bad_days():
    with pytest.raises(CommandError):
        call_command("rules_dry_run", "--rule", "gifts", "--days", "0", stdout=StringIO())
