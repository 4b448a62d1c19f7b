"""merge_check / merge_candidates: same phone and address, within the window, shop/platform settings,
never with a waybill or cash on delivery, every reason listed."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fulfillment.rules import MergeSettings, OrderFacts, merge_candidates, merge_check

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
A = OrderFacts(
    order_id=1,
    shop_id=1,
    platform="taobao",
    buyer_id="b1",
    phone_hash="h1",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    detail="文三路 90 号 502 室",
    paid_amount=Decimal("10"),
    paid_at=T0,
)
B = replace(A, order_id=2, detail="文三路90号502室", paid_at=T0 + timedelta(minutes=10))
SETTINGS = MergeSettings()


def test_same_phone_and_address_within_the_window_can_merge_and_says_why():
    check = merge_check(A, B, SETTINGS)

    assert check.can_merge and check.order_ids == (1, 2)
    assert "same receiver phone" in check.reasons and "same address" in check.reasons
    assert "paid 10 min apart (window 30 min)" in check.reasons
    assert check.decision.outcome == {"can_merge": True}


def test_address_spelling_differences_are_normalised():
    b = replace(B, detail="文三路９０号－502室", province="浙江省 ")

    assert merge_check(A, b, SETTINGS).can_merge


def test_exactly_at_the_window_merges_one_minute_over_does_not():
    at_limit = replace(B, paid_at=T0 + timedelta(minutes=30))
    over = replace(B, paid_at=T0 + timedelta(minutes=31))

    assert merge_check(A, at_limit, SETTINGS).can_merge
    check = merge_check(A, over, SETTINGS)
    assert not check.can_merge
    assert check.reasons == ["paid 31 min apart, more than the 30 min window"]


def test_every_failing_reason_is_listed():
    b = replace(
        B,
        phone_hash="h2",
        detail="文二路1号",
        paid_at=T0 + timedelta(hours=2),
        is_cod=True,
        has_waybill=True,
    )

    check = merge_check(A, b, SETTINGS)

    assert not check.can_merge
    assert check.reasons == [
        "different receiver phone",
        "different address",
        "paid 120 min apart, more than the 30 min window",
        "a waybill already exists",
        "cash on delivery is never merged",
    ]


def test_never_with_a_waybill_or_cod_on_either_side():
    for changed in ({"has_waybill": True}, {"is_cod": True}):
        assert not merge_check(replace(A, **changed), B, SETTINGS).can_merge
        assert not merge_check(A, replace(B, **changed), SETTINGS).can_merge


def test_across_shops_of_one_platform_follows_the_setting():
    other_shop = replace(B, shop_id=2)

    assert merge_check(A, other_shop, SETTINGS).can_merge
    check = merge_check(A, other_shop, MergeSettings(across_shops=False))
    assert check.reasons == ["merging across shops is off"]


def test_across_platforms_is_off_by_default_and_can_be_switched_on():
    jd = replace(B, shop_id=3, platform="jd")

    assert merge_check(A, jd, SETTINGS).reasons == ["merging across platforms is off"]
    assert merge_check(A, jd, MergeSettings(across_platforms=True)).can_merge


def test_empty_phone_or_address_or_unpaid_never_merge():
    no_phone = merge_check(replace(A, phone_hash=""), replace(B, phone_hash=""), SETTINGS)
    blank = dict(province="", city="", district="", detail="")
    no_address = merge_check(replace(A, **blank), replace(B, **blank), SETTINGS)
    unpaid = merge_check(A, replace(B, paid_at=None), SETTINGS)

    assert no_phone.reasons == ["different receiver phone"]
    assert no_address.reasons == ["different address"]
    assert unpaid.reasons == ["not both paid"]
    assert unpaid.decision.inputs["minutes_apart"] is None


def test_an_order_never_merges_with_itself():
    assert merge_check(A, A, SETTINGS).reasons == ["it is the same order"]


def test_the_decision_holds_no_phone_or_street():
    text = str(merge_check(A, B, SETTINGS).decision.as_event_parameters())

    assert "h1" not in text and "文三路" not in text


def test_candidates_list_mergeable_first_then_closest_and_skip_the_order_itself():
    far = replace(B, order_id=3, paid_at=T0 + timedelta(minutes=25))
    near = replace(B, order_id=4, paid_at=T0 + timedelta(minutes=5))
    cod = replace(B, order_id=5, paid_at=T0 + timedelta(minutes=1), is_cod=True)

    checks = merge_candidates(A, [A, cod, far, near], SETTINGS)

    assert [(c.order_ids[1], c.can_merge) for c in checks] == [(4, True), (3, True), (5, False)]


def test_candidates_of_nothing_is_empty():
    assert merge_candidates(A, [], SETTINGS) == []


def test_a_parcel_leaves_one_warehouse_not_yet_allocated_orders_may_still_merge():
    assert merge_check(replace(A, warehouse_id=1), replace(B, warehouse_id=1), SETTINGS).can_merge
    assert merge_check(replace(A, warehouse_id=1), B, SETTINGS).can_merge
    split = merge_check(replace(A, warehouse_id=1), replace(B, warehouse_id=2), SETTINGS)
    assert not split.can_merge and split.reasons == ["allocated in different warehouses"]
    assert split.decision.inputs["warehouses"] == [1, 2]
