"""The demo shows each decision: hold levels 1-3, a merge candidate, a gift and an EMS order."""

import pytest

from fulfillment.demo import seed_fulfillment_demo
from fulfillment.demo_decisions import PREFIX, seed_decision_examples
from fulfillment.models import Warehouse
from fulfillment.models_decisions import FulfillmentState
from orderhub.models import Hold, HoldStatus, Order, Sku
from tests.factories import make_shop
from tests.fulfillment.conftest import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_shop():
    seed_fulfillment_demo()
    for warehouse in Warehouse.objects.filter(code__in=["SZ", "HF"]):
        for sku in Sku.objects.all():
            make_stock(warehouse, sku, on_hand=50)
    return make_shop(code="demo-taobao")


def example(name: str) -> Order:
    return Order.objects.get(platform_order_id=f"{PREFIX}{name}")


def holds(name: str) -> list[tuple[str, int]]:
    return list(Hold.objects.filter(order=example(name), status=HoldStatus.OPEN).values_list("kind", "level"))


def test_each_decision_is_on_show_and_seeding_again_changes_nothing(demo_shop):
    ids = seed_decision_examples(demo_shop)

    assert ("address", 1) in holds("ADDRESS")
    assert holds("RISK") == [("risk", 2)]
    assert holds("NO-STOCK") == [("out_of_stock", 3)]
    gift = example("GIFT")
    assert gift.lines.filter(is_gift=True, outer_sku_code="FP-001").exists()
    assert gift.fulfillment.state == FulfillmentState.ALLOCATED
    ems = example("EMS").fulfillment
    assert ems.carrier.code == "EMS" and ems.carrier_surcharge > 0
    merge = example("MERGE-B").events.get(type="decision", parameters__kind="merge").parameters
    assert merge["outcome"] == {"can_merge": True}
    assert merge["inputs"]["orders"] == [example("MERGE-B").pk, example("MERGE-A").pk]

    assert seed_decision_examples(demo_shop) == ids
    assert Order.objects.filter(platform_order_id__startswith=PREFIX).count() == len(ids)
    assert example("GIFT").lines.filter(is_gift=True).count() == 1
