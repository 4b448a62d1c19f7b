"""seed_fulfillment_demo: the demo's warehouses, carriers and rules, idempotent."""

from decimal import Decimal

import pytest

from fulfillment.demo import seed_fulfillment_demo
from fulfillment.models import (
    Carrier,
    CarrierRule,
    GiftRule,
    RoutingRule,
    RoutingRuleWarehouse,
    Warehouse,
)
from orderhub.models import Sku

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "carriers": sorted(Carrier.objects.values_list("code", "name")),
        "warehouses": sorted(
            Warehouse.objects.values_list("code", "name", "priority", "default_carrier__code")
        ),
        "routes": sorted(
            RoutingRuleWarehouse.objects.values_list("rule__name", "rank", "warehouse__code", "delivery_days")
        ),
        "carrier_rules": sorted(
            CarrierRule.objects.values_list("name", "kind", "carrier__code", "surcharge")
        ),
        "gifts": sorted(
            GiftRule.objects.values_list("name", "gift_sku__code", "gift_quantity", "min_paid_amount")
        ),
        "skus": Sku.objects.count(),
    }


def test_demo_rules_are_seeded():
    seed_fulfillment_demo()

    assert set(Carrier.objects.values_list("code", flat=True)) == {"SF", "YTO", "ZTO", "EMS"}
    east = RoutingRule.objects.get(name__startswith="华东")
    assert east.provinces == ["上海市", "江苏省", "浙江省", "安徽省"]
    assert [e.warehouse.code for e in east.warehouses.order_by("rank")] == ["SZ", "HF"]
    south = RoutingRule.objects.get(name__startswith="华南")
    assert south.warehouses.order_by("rank").first().warehouse.code == "GZ"
    remote = CarrierRule.objects.get(kind="region")
    assert remote.carrier.code == "EMS" and remote.surcharge == Decimal("8.00")
    assert "新疆维吾尔自治区" in remote.provinces and len(remote.provinces) == 6
    assert CarrierRule.objects.get(kind="buyer_tag").carrier.code == "SF"
    gift = GiftRule.objects.get()
    assert [s.code for s in gift.trigger_skus.all()] == ["ZP-2026-01"]
    assert (gift.gift_sku.code, gift.gift_quantity, gift.min_paid_amount) == ("FP-001", 1, Decimal("299.00"))
    assert gift.label_note == "赠品:智能饮水机滤芯×1"


def test_running_it_again_changes_nothing_and_restores_edits():
    seed_fulfillment_demo()
    before = snapshot()
    Warehouse.objects.filter(code="SZ").update(priority=99)
    RoutingRuleWarehouse.objects.filter(warehouse__code="HF", rule__name__startswith="华东").delete()

    seed_fulfillment_demo()

    assert snapshot() == before


def test_it_uses_the_catalogue_skus_when_they_exist():
    existing = Sku.objects.create(code="FP-001", name="refill already here", price=Decimal("1"))

    seed_fulfillment_demo()

    assert GiftRule.objects.get().gift_sku == existing
    assert Sku.objects.filter(code="ZP-2026-01").exists()
