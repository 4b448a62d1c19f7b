"""decide_holds: address (1), risk (2), unmapped / out of stock (3), each switchable, limits exact."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from fulfillment.rules import AddressCheck, HoldContext, HoldSettings, LineFacts, OrderFacts, decide_holds

GOOD_ADDRESS = AddressCheck(True, False, "浙江省", "杭州市", "西湖区", "330106", "resolved")
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
    paid_amount=Decimal("100.00"),
    paid_at=datetime(2026, 11, 11, 12, 0, tzinfo=UTC),
    lines=(LineFacts(10, 7, "ZP-2026-01", 2, 1300), LineFacts(11, 7, "ZP-2026-01", 1, 1300)),
)


def ctx(**changes) -> HoldContext:
    base = HoldContext(
        settings=HoldSettings(),
        orders_by_phone_24h=1,
        is_first_order=False,
        address=GOOD_ADDRESS,
        stock_by_sku={7: 3},
    )
    return replace(base, **changes)


def kinds(holds) -> list[tuple[str, int]]:
    return [(hold.kind, hold.level) for hold in holds]


def test_a_clean_order_is_not_held():
    assert decide_holds(ORDER, ctx()) == []


def test_unresolved_address_is_a_level_1_hold_with_the_library_reason():
    address = AddressCheck(False, False, "浙江省", "杭州市", "", "330100", "cannot resolve the district")

    holds = decide_holds(ORDER, ctx(address=address))

    assert kinds(holds) == [("address", 1)]
    assert "cannot resolve the district" in holds[0].reason
    assert holds[0].decision.inputs["adcode"] == "330100"
    assert "文三路" not in json.dumps(holds[0].decision.as_event_parameters(), ensure_ascii=False)


def test_ambiguous_address_says_so():
    address = AddressCheck(
        False, True, "江苏省", "", "", "320000", "杭州市西湖区 is in 浙江省, not in 江苏省"
    )

    [hold] = decide_holds(ORDER, ctx(address=address))

    assert hold.kind == "address" and hold.reason.startswith("ambiguous address")


def test_phone_order_count_exactly_at_the_limit_passes_one_more_is_risk():
    assert decide_holds(ORDER, ctx(orders_by_phone_24h=5)) == []

    [hold] = decide_holds(ORDER, ctx(orders_by_phone_24h=6))

    assert (hold.kind, hold.level) == ("risk", 2)
    assert "6 orders from this phone" in hold.reason


def test_first_time_buyer_amount_exactly_at_the_threshold_passes_above_is_risk():
    at_limit = replace(ORDER, paid_amount=Decimal("5000.00"))
    above = replace(ORDER, paid_amount=Decimal("5000.01"))

    assert decide_holds(at_limit, ctx(is_first_order=True)) == []
    assert kinds(decide_holds(above, ctx(is_first_order=True))) == [("risk", 2)]
    assert decide_holds(above, ctx(is_first_order=False)) == []


def test_both_risk_reasons_make_one_risk_hold_naming_both():
    above = replace(ORDER, paid_amount=Decimal("9000"))

    [hold] = decide_holds(above, ctx(is_first_order=True, orders_by_phone_24h=9))

    assert "9 orders" in hold.reason and "first-time buyer paid 9000" in hold.reason
    assert hold.decision.outcome == {"hold": "risk", "level": 2}


def test_unmapped_lines_freeze_the_order_at_level_3():
    order = replace(ORDER, unmapped_line_ids=(12, 13))

    [hold] = decide_holds(order, ctx())

    assert (hold.kind, hold.level) == ("unmapped_sku", 3)
    assert hold.decision.inputs == {"unmapped_line_ids": [12, 13]}


def test_stock_exactly_enough_passes_one_short_is_out_of_stock():
    assert decide_holds(ORDER, ctx(stock_by_sku={7: 3})) == []

    [hold] = decide_holds(ORDER, ctx(stock_by_sku={7: 2}))

    assert (hold.kind, hold.level) == ("out_of_stock", 3)
    assert "ZP-2026-01 (need 3, have 2)" in hold.reason


def test_a_sku_missing_from_the_stock_map_counts_as_none():
    [hold] = decide_holds(ORDER, ctx(stock_by_sku={}))

    assert hold.decision.inputs["short"] == {"ZP-2026-01": {"needed": 3, "available": 0}}


def test_an_order_without_lines_needs_no_stock():
    assert decide_holds(replace(ORDER, lines=()), ctx(stock_by_sku={})) == []


def test_every_level_at_once_comes_lowest_level_first():
    address = AddressCheck(False, False, "", "", "", "", "cannot resolve the province, city, district")
    order = replace(ORDER, unmapped_line_ids=(12,))

    holds = decide_holds(order, ctx(address=address, orders_by_phone_24h=7, stock_by_sku={}))

    assert kinds(holds) == [("address", 1), ("risk", 2), ("unmapped_sku", 3), ("out_of_stock", 3)]


def test_each_level_can_be_switched_off():
    address = AddressCheck(False, False, "", "", "", "", "nothing")
    off = HoldSettings(address_check=False, risk_check=False, stock_check=False)

    holds = decide_holds(
        replace(ORDER, unmapped_line_ids=(12,)),
        ctx(settings=off, address=address, orders_by_phone_24h=99, stock_by_sku={}),
    )

    assert holds == []


def test_thresholds_come_from_the_settings():
    strict = HoldSettings(risk_orders_per_phone_24h=1, risk_first_order_amount=Decimal("50"))

    assert kinds(decide_holds(ORDER, ctx(settings=strict, orders_by_phone_24h=2))) == [("risk", 2)]
    assert kinds(decide_holds(ORDER, ctx(settings=strict, is_first_order=True))) == [("risk", 2)]


def test_decisions_are_json_ready():
    [hold] = decide_holds(replace(ORDER, paid_amount=Decimal("6000")), ctx(is_first_order=True))

    parameters = hold.decision.as_event_parameters()

    assert json.loads(json.dumps(parameters)) == parameters
    assert parameters["inputs"]["paid_amount"] == "6000"
    assert parameters["kind"] == "hold" and parameters["rule"] == "risk"
