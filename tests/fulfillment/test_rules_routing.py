"""choose_warehouse: region rules with ranked warehouses, safety thresholds, fewest splits."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from fulfillment.rules import (
    LineFacts,
    OrderFacts,
    RouteFacts,
    RouteWarehouse,
    RoutingSettings,
    StockLevel,
    WarehouseOption,
    choose_warehouse,
)

SZ, HF, GZ = 1, 2, 3
A, B = 7, 8
OPTIONS = [
    WarehouseOption(SZ, "SZ", 10, frozenset({"上海市", "江苏省", "浙江省", "安徽省"})),
    WarehouseOption(HF, "HF", 20),  # nationwide
    WarehouseOption(GZ, "GZ", 30, frozenset({"广东省"})),
]
EAST = RouteFacts(
    1,
    "East China",
    frozenset({"上海市", "江苏省", "浙江省", "安徽省"}),
    (RouteWarehouse(HF, 2, 2), RouteWarehouse(SZ, 1, 1)),
)
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
    lines=(LineFacts(10, A, "SKU-A", 2), LineFacts(11, B, "SKU-B", 1)),
)
SETTINGS = RoutingSettings()


def stock(**levels) -> dict:
    """stock(SZ_A=(on_hand, allocated, safety), ...)"""
    codes = {"SZ": SZ, "HF": HF, "GZ": GZ, "A": A, "B": B}
    result = {}
    for key, (on_hand, allocated, safety) in levels.items():
        warehouse, sku = key.split("_")
        result[(codes[warehouse], codes[sku])] = StockLevel(on_hand, allocated, safety)
    return result


def route(level_map, order=ORDER, settings=SETTINGS, routes=(EAST,), options=OPTIONS):
    return choose_warehouse(order, list(options), level_map, list(routes), settings)


def test_east_china_goes_to_suzhou_first():
    decision = route(stock(SZ_A=(10, 0, 0), SZ_B=(10, 0, 0), HF_A=(10, 0, 0), HF_B=(10, 0, 0)))

    assert decision.plan == {SZ: [(10, A, 2), (11, B, 1)]}
    assert not decision.split and decision.estimated_delivery_days == 1
    assert decision.decision.rule == "routing rule 1: East China"
    assert decision.decision.reason == "shipped from SZ"
    assert decision.decision.outcome["plan"] == {"SZ": [[10, A, 2], [11, B, 1]]}


def test_suzhou_below_safety_after_allocation_goes_to_hefei():
    # Suzhou has 10 A but keeps 9: taking 2 would leave 8, below its threshold.
    levels = stock(SZ_A=(10, 0, 9), SZ_B=(10, 0, 0), HF_A=(10, 0, 0), HF_B=(10, 0, 0))

    decision = route(levels)

    assert decision.plan == {HF: [(10, A, 2), (11, B, 1)]}
    assert decision.estimated_delivery_days == 2
    assert "SZ skipped" in decision.decision.reason
    assert decision.decision.inputs["candidates"][0]["stock"]["SKU-A"] == {"available": 10, "safety": 9}


def test_landing_exactly_on_the_safety_threshold_is_allowed():
    levels = stock(SZ_A=(10, 0, 8), SZ_B=(10, 0, 9), HF_A=(10, 0, 0), HF_B=(10, 0, 0))

    assert list(route(levels).plan) == [SZ]


def test_allocated_units_are_not_available():
    levels = stock(SZ_A=(10, 9, 0), SZ_B=(10, 0, 0), HF_A=(10, 0, 0), HF_B=(10, 0, 0))

    assert list(route(levels).plan) == [HF]


def test_split_only_when_no_single_warehouse_can_serve():
    levels = stock(SZ_A=(5, 0, 0), HF_B=(5, 0, 0))

    decision = route(levels)

    assert decision.plan == {SZ: [(10, A, 2)], HF: [(11, B, 1)]}
    assert decision.split and decision.estimated_delivery_days == 2
    assert decision.decision.reason == "split over SZ, HF"


def test_fewest_splits_beat_rank():
    # SZ (rank 1) has only A; HF alone has both: one parcel from HF beats a split with SZ.
    levels = stock(SZ_A=(5, 0, 0), HF_A=(5, 0, 0), HF_B=(5, 0, 0))

    assert route(levels).plan == {HF: [(10, A, 2), (11, B, 1)]}


def test_a_line_is_split_over_warehouses_only_when_no_one_holds_it():
    order = replace(ORDER, lines=(LineFacts(10, A, "SKU-A", 5),))

    decision = route(stock(SZ_A=(3, 0, 0), HF_A=(2, 0, 0)), order=order)

    assert decision.plan == {SZ: [(10, A, 3)], HF: [(10, A, 2)]}


def test_no_split_when_the_setting_forbids_it():
    decision = route(stock(SZ_A=(5, 0, 0), HF_B=(5, 0, 0)), settings=RoutingSettings(split_allowed=False))

    assert decision.plan == {} and decision.estimated_delivery_days is None
    assert decision.decision.reason == "no warehouse has the stock and splitting is off"


def test_below_safety_is_used_only_when_nothing_else_can_serve():
    levels = stock(SZ_A=(2, 0, 5), SZ_B=(1, 0, 5))

    decision = route(levels)

    assert list(decision.plan) == [SZ]
    assert decision.decision.outcome["below_safety"] is True
    assert "below the safety threshold" in decision.decision.reason


def test_nothing_possible_gives_an_empty_plan_with_a_reason():
    decision = route(stock(SZ_A=(1, 0, 0)))

    assert decision.plan == {} and not decision.split
    assert decision.decision.reason == "no warehouse has the stock"


def test_without_a_matching_rule_warehouses_covering_the_province_are_used():
    order = replace(ORDER, province="广东省")

    decision = route(stock(GZ_A=(5, 0, 0), GZ_B=(5, 0, 0), HF_A=(5, 0, 0), HF_B=(5, 0, 0)), order=order)

    # HF is nationwide and earlier by priority; SZ does not cover 广东省.
    assert list(decision.plan) == [HF] and decision.decision.rule == "warehouse regions"
    assert decision.estimated_delivery_days == 3
    assert [c["warehouse"] for c in decision.decision.inputs["candidates"]] == ["HF", "GZ"]


def test_rule_provinces_match_short_names_and_inactive_rules_and_warehouses_are_skipped():
    order = replace(ORDER, province="浙江")
    inactive_sz = [replace(OPTIONS[0], active=False), *OPTIONS[1:]]
    levels = stock(SZ_A=(5, 0, 0), SZ_B=(5, 0, 0), HF_A=(5, 0, 0), HF_B=(5, 0, 0))

    assert list(route(levels, order=order).plan) == [SZ]
    assert list(route(levels, options=inactive_sz).plan) == [HF]
    assert route(levels, routes=[replace(EAST, active=False)]).decision.rule == "warehouse regions"


def test_rules_are_tried_by_priority():
    hefei_first = RouteFacts(2, "Hefei first", frozenset({"浙江省"}), (RouteWarehouse(HF, 1, 4),), priority=1)
    levels = stock(SZ_A=(5, 0, 0), SZ_B=(5, 0, 0), HF_A=(5, 0, 0), HF_B=(5, 0, 0))

    decision = route(levels, routes=[EAST, hefei_first])

    assert list(decision.plan) == [HF] and decision.estimated_delivery_days == 4


def test_no_lines_or_no_warehouse_are_explained():
    assert route({}, order=replace(ORDER, lines=())).decision.reason == "nothing to ship: no mapped lines"
    no_warehouse = route({}, options=[], routes=[])
    assert no_warehouse.plan == {} and no_warehouse.decision.reason == "no active warehouse serves 浙江省"
