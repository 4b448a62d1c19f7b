"""gifts_for: trigger SKUs and / or amount, shops, date window, stock, one gift per order."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fulfillment.rules import GiftRuleFacts, LineFacts, OrderFacts, gifts_for

ZP, FP, OTHER = 17, 18, 19
T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
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
    paid_amount=Decimal("299.00"),
    paid_at=T0,
    lines=(LineFacts(10, ZP, "ZP-2026-01", 1, 1300),),
)
FOUNTAIN = GiftRuleFacts(
    rule_id=1,
    name="fountain gift",
    gift_sku_id=FP,
    gift_sku_code="FP-001",
    gift_quantity=1,
    trigger_sku_ids=frozenset({ZP}),
    min_paid_amount=Decimal("299"),
    label_note="赠品:智能饮水机滤芯×1",
)
STOCK = {FP: 100}


def test_the_issue_example_gives_fp_001_with_its_label_note():
    gift = gifts_for(ORDER, [FOUNTAIN], STOCK, T0)

    assert (gift.gift_sku_id, gift.gift_sku_code, gift.quantity) == (FP, "FP-001", 1)
    assert gift.label_note == "赠品:智能饮水机滤芯×1" and gift.label_position == "remark"
    assert gift.decision.outcome == {"gift": "FP-001", "quantity": 1, "label": "赠品:智能饮水机滤芯×1"}
    assert gift.decision.inputs["paid_amount"] == "299.00"


def test_amount_one_cent_below_the_minimum_gets_nothing():
    assert gifts_for(replace(ORDER, paid_amount=Decimal("298.99")), [FOUNTAIN], STOCK, T0) is None


def test_without_a_trigger_sku_nothing():
    order = replace(ORDER, lines=(LineFacts(10, OTHER, "CAT-DRY-5K", 2, 5200),))

    assert gifts_for(order, [FOUNTAIN], STOCK, T0) is None


def test_a_trigger_sku_that_is_itself_a_gift_line_does_not_trigger():
    order = replace(ORDER, lines=(LineFacts(10, ZP, "ZP-2026-01", 1, 1300, is_gift=True),))

    assert gifts_for(order, [FOUNTAIN], STOCK, T0) is None


def test_amount_only_and_trigger_only_rules():
    amount_only = replace(FOUNTAIN, trigger_sku_ids=frozenset())
    sku_only = replace(FOUNTAIN, min_paid_amount=None)
    order = replace(ORDER, lines=(LineFacts(10, OTHER, "CAT-DRY-5K", 1, 5200),))

    assert gifts_for(order, [amount_only], STOCK, T0).gift_sku_id == FP
    assert gifts_for(replace(ORDER, paid_amount=Decimal("1")), [sku_only], STOCK, T0).gift_sku_id == FP


def test_shops_limit_the_rule():
    assert gifts_for(ORDER, [replace(FOUNTAIN, shop_ids=frozenset({2}))], STOCK, T0) is None
    assert gifts_for(ORDER, [replace(FOUNTAIN, shop_ids=frozenset({1, 2}))], STOCK, T0) is not None


def test_date_window_is_inclusive_and_read_against_the_payment_time():
    exact = replace(FOUNTAIN, starts_at=T0, ends_at=T0)
    later = replace(FOUNTAIN, starts_at=T0 + timedelta(seconds=1))
    over = replace(FOUNTAIN, ends_at=T0 - timedelta(seconds=1))
    now_outside = T0 + timedelta(days=30)

    assert gifts_for(ORDER, [exact], STOCK, now_outside) is not None
    assert gifts_for(ORDER, [later], STOCK, T0) is None
    assert gifts_for(ORDER, [over], STOCK, T0) is None


def test_an_unpaid_order_is_read_against_now():
    window = replace(FOUNTAIN, starts_at=T0, ends_at=T0 + timedelta(days=1))
    unpaid = replace(ORDER, paid_at=None)

    assert gifts_for(unpaid, [window], STOCK, T0 + timedelta(hours=1)) is not None
    assert gifts_for(unpaid, [window], STOCK, T0 + timedelta(days=2)) is None


def test_out_of_stock_gift_stops_the_rule_and_the_reason_says_so():
    gift = gifts_for(ORDER, [FOUNTAIN], {FP: 0}, T0)

    assert gift.gift_sku_id is None and gift.quantity == 0
    assert gift.decision.reason == "no gift: gift FP-001 out of stock (0 available, 1 needed)"


def test_stock_exactly_enough_counts_what_the_buyer_ordered_of_the_gift_sku():
    order = replace(ORDER, lines=(*ORDER.lines, LineFacts(11, FP, "FP-001", 2, 80)))

    assert gifts_for(order, [FOUNTAIN], {FP: 3}, T0).gift_sku_id == FP
    assert gifts_for(order, [FOUNTAIN], {FP: 2}, T0).gift_sku_id is None


def test_first_rule_by_priority_wins_ties_by_id_and_only_one_applies():
    cheap = replace(FOUNTAIN, rule_id=2, priority=50, gift_sku_id=OTHER, gift_sku_code="ACC-SCOOP")
    tie = replace(FOUNTAIN, rule_id=3, priority=50)
    stock = {FP: 10, OTHER: 10}

    gift = gifts_for(ORDER, [FOUNTAIN, tie, cheap], stock, T0)

    assert gift.rule_id == 2 and gift.gift_sku_code == "ACC-SCOOP"


def test_a_rule_out_of_stock_falls_through_to_the_next():
    first = replace(FOUNTAIN, rule_id=2, priority=1, gift_sku_id=OTHER, gift_sku_code="ACC-SCOOP")

    gift = gifts_for(ORDER, [first, FOUNTAIN], {FP: 5, OTHER: 0}, T0)

    assert gift.rule_id == 1 and gift.gift_sku_id == FP
    assert gift.decision.inputs["skipped_rules"] == {
        "2": "gift ACC-SCOOP out of stock (0 available, 1 needed)"
    }


def test_an_order_that_already_has_a_gift_line_gets_none():
    order = replace(ORDER, lines=(*ORDER.lines, LineFacts(11, FP, "FP-001", 1, 80, is_gift=True)))

    assert gifts_for(order, [FOUNTAIN], STOCK, T0) is None


def test_inactive_rules_and_no_rules_give_nothing():
    assert gifts_for(ORDER, [replace(FOUNTAIN, active=False)], STOCK, T0) is None
    assert gifts_for(ORDER, [], STOCK, T0) is None
