"""The decision rules and settings are read once per worker for a few seconds, not once per batch; a
change saved in this process applies at once, a change from elsewhere within the max age."""

import pytest

from fulfillment.decision_tables import decision_tables
from fulfillment.models import Carrier, GiftRule, RoutingRule, RoutingRuleWarehouse
from fulfillment.models_decisions import FulfillmentState
from fulfillment.services.decide import order_process
from orderhub.events import Actor
from tests.factories import make_sku
from tests.fulfillment.conftest import make_paid_order, make_stock, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_lived(settings):
    settings.DECISION_TABLES_MAX_AGE_SECONDS = 3600


def test_batches_after_the_first_read_no_rule_tables(long_lived, django_assert_num_queries):
    make_warehouse("SH")
    decision_tables()

    with django_assert_num_queries(0):
        tables = decision_tables()

    assert [option.code for option in tables.options] == ["SH"]


def test_a_rule_saved_in_this_process_applies_to_the_next_batch(long_lived):
    tea, gift = make_sku("TEA"), make_sku("GIFT")
    assert decision_tables().gift_rules == []

    rule = GiftRule.objects.create(name="满赠", gift_sku=gift, gift_quantity=1)
    assert [r.name for r in decision_tables().gift_rules] == ["满赠"]

    rule.trigger_skus.add(tea)
    assert decision_tables().gift_rules[0].trigger_sku_ids == {tea.pk}

    rule.delete()
    assert decision_tables().gift_rules == []


def test_a_change_made_elsewhere_is_read_once_the_copy_is_older_than_the_max_age(settings, long_lived):
    Carrier.objects.create(code="SF", name="顺丰")
    decision_tables()
    # Another process's change: no signal reaches this one.
    Carrier.objects.filter(code="SF").update(name="顺丰速运")
    assert decision_tables().carriers["SF"].name == "顺丰"

    settings.DECISION_TABLES_MAX_AGE_SECONDS = 0
    assert decision_tables().carriers["SF"].name == "顺丰速运"


def test_orders_are_routed_by_the_rules_as_changed_between_two_batches(long_lived):
    tea = make_sku("TEA")
    near, far = make_warehouse("SH", priority=1), make_warehouse("GZ", priority=2)
    for warehouse in (near, far):
        make_stock(warehouse, tea, on_hand=10)
    actor = Actor.system("test")
    first = order_process(order_id=make_paid_order((tea, 1), order_id="A").pk, actor=actor)

    rule = RoutingRule.objects.create(name="华南", provinces=["浙江省"], priority=1)
    RoutingRuleWarehouse.objects.create(rule=rule, warehouse=far, rank=1)
    second = order_process(order_id=make_paid_order((tea, 1), order_id="B").pk, actor=actor)

    assert (first.state, first.warehouse_id) == (FulfillmentState.ALLOCATED, near.pk)
    assert (second.state, second.warehouse_id) == (FulfillmentState.ALLOCATED, far.pk)
