"""choose_carrier: designated > buyer tag > region > cheapest by weight > warehouse default."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from fulfillment.rules import CarrierRuleFacts, OrderFacts, WarehouseFacts, choose_carrier

SZ = WarehouseFacts(1, "SZ", "ZTO")
ORDER = OrderFacts(
    order_id=1,
    shop_id=1,
    platform="taobao",
    buyer_id="b1",
    phone_hash="h1",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    detail="文三路90号",
    paid_amount=Decimal("100"),
    paid_at=datetime(2026, 11, 11, tzinfo=UTC),
)
REMOTE = CarrierRuleFacts(
    1,
    "remote EMS",
    "region",
    "EMS",
    provinces=frozenset(
        {"新疆维吾尔自治区", "西藏自治区", "青海省", "内蒙古自治区", "甘肃省", "宁夏回族自治区"}
    ),
    surcharge=Decimal("8.00"),
)
LOYAL = CarrierRuleFacts(2, "loyal SF", "buyer_tag", "SF", buyer_tags=frozenset({"loyal"}))
LIGHT = CarrierRuleFacts(3, "YTO light", "weight", "YTO", max_weight_g=1000, cost=Decimal("4.00"))
HEAVY = CarrierRuleFacts(4, "ZTO heavy", "weight", "ZTO", min_weight_g=1000, cost=Decimal("6.00"))
RULES = [REMOTE, LOYAL, LIGHT, HEAVY]


def carrier(order=ORDER, rules=RULES, weight=2000, warehouse=SZ):
    return choose_carrier(order, warehouse, list(rules), weight)


def test_every_remote_province_goes_to_ems_with_the_surcharge():
    for province in (
        "新疆维吾尔自治区",
        "西藏自治区",
        "青海省",
        "内蒙古自治区",
        "甘肃省",
        "宁夏回族自治区",
        "新疆",
    ):
        decision = carrier(replace(ORDER, province=province))
        assert (decision.carrier_code, decision.surcharge) == ("EMS", Decimal("8.00")), province
    assert decision.decision.reason == "destination region: remote EMS, surcharge 8.00"
    assert decision.decision.outcome == {"carrier": "EMS", "surcharge": "8.00"}


def test_loyal_buyers_are_upgraded_to_sf_even_in_remote_regions():
    loyal = replace(ORDER, province="青海省", buyer_tags=frozenset({"Loyal"}))

    decision = carrier(loyal)

    assert (decision.carrier_code, decision.surcharge) == ("SF", Decimal("0"))
    assert decision.decision.rule == "carrier rule 2: loyal SF"


def test_a_designated_carrier_wins_over_everything():
    order = replace(ORDER, province="西藏自治区", buyer_tags=frozenset({"loyal"}), designated_carrier="JD")

    decision = carrier(order)

    assert (decision.carrier_code, decision.surcharge) == ("JD", Decimal("0"))
    assert decision.decision.reason == "carrier designated by the buyer or platform"


def test_a_designated_rule_for_that_carrier_adds_its_surcharge():
    sf_fee = CarrierRuleFacts(5, "SF on request", "designated", "SF", surcharge=Decimal("10.00"))
    order = replace(ORDER, designated_carrier="SF")

    assert carrier(order, rules=[*RULES, sf_fee]).surcharge == Decimal("10.00")
    assert carrier(replace(order, designated_carrier="EMS"), rules=[sf_fee]).surcharge == Decimal("0")


def test_cheapest_weight_rule_and_the_boundary_belongs_to_both_bands():
    assert carrier(weight=999).carrier_code == "YTO"
    assert carrier(weight=1000).carrier_code == "YTO"  # both match; YTO is cheaper
    assert carrier(weight=1001).carrier_code == "ZTO"
    assert carrier(weight=1001).decision.reason == "cheapest for 1001 g: ZTO heavy (6.00)"


def test_cost_ties_go_by_priority_and_surcharge_counts_in_the_cost():
    same_cost = replace(HEAVY, rule_id=6, carrier_code="SF", priority=1)
    with_fee = replace(LIGHT, surcharge=Decimal("3.00"))

    assert carrier(rules=[HEAVY, same_cost], weight=2000).carrier_code == "SF"
    assert carrier(rules=[with_fee, HEAVY], weight=1000).carrier_code == "ZTO"


def test_a_weight_rule_without_a_cost_is_used_only_when_none_has_one():
    unpriced = CarrierRuleFacts(7, "EMS any", "weight", "EMS")

    assert carrier(rules=[unpriced, HEAVY], weight=2000).carrier_code == "ZTO"
    assert carrier(rules=[unpriced], weight=2000).carrier_code == "EMS"


def test_warehouse_scope_and_inactive_rules():
    other_warehouse = replace(REMOTE, warehouse_ids=frozenset({9}))
    remote = replace(ORDER, province="甘肃省")

    assert carrier(remote, rules=[other_warehouse]).carrier_code == "ZTO"
    assert carrier(remote, rules=[replace(REMOTE, active=False)]).carrier_code == "ZTO"
    assert carrier(remote, rules=[replace(REMOTE, warehouse_ids=frozenset({1}))]).carrier_code == "EMS"


def test_rules_missing_their_defining_condition_match_nothing():
    empty_tag = replace(LOYAL, buyer_tags=frozenset())
    empty_region = replace(REMOTE, provinces=frozenset())

    assert carrier(rules=[empty_tag, empty_region]).carrier_code == "ZTO"


def test_the_warehouse_default_else_no_carrier():
    assert carrier(rules=[]).decision.reason == "default carrier of SZ"

    decision = carrier(rules=[], warehouse=WarehouseFacts(2, "HF"))

    assert (
        decision.carrier_code == ""
        and decision.decision.reason == "no carrier rule applies and HF has no default"
    )


def test_the_decision_records_its_inputs():
    inputs = carrier(replace(ORDER, buyer_tags=frozenset({"vip", "loyal"}))).decision.inputs

    assert inputs["buyer_tags"] == ["loyal", "vip"] and inputs["weight_g"] == 2000
    assert inputs["warehouse"] == "SZ"
