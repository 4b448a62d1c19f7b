"""priority_key (VIP and expedited first, then paid time) and presale_state."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fulfillment.rules import OrderFacts, PresaleFacts, presale_state, priority_key

T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
BASE = OrderFacts(
    order_id=1,
    shop_id=1,
    platform="taobao",
    buyer_id="b1",
    phone_hash="h1",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    detail="文三路90号",
    paid_amount=Decimal("10"),
    paid_at=T0,
)


def ordered(*orders) -> list[int]:
    return [order.order_id for order in sorted(orders, key=priority_key)]


def test_vip_and_expedited_orders_come_before_earlier_plain_ones():
    early = replace(BASE, order_id=1, paid_at=T0 - timedelta(hours=5))
    vip = replace(BASE, order_id=2, buyer_tags=frozenset({"VIP"}))
    expedited = replace(BASE, order_id=3, is_priority=True, paid_at=T0 - timedelta(minutes=1))

    assert ordered(early, vip, expedited) == [3, 2, 1]


def test_within_a_group_the_earliest_paid_goes_first_ties_by_id_and_unpaid_last():
    later = replace(BASE, order_id=1, paid_at=T0 + timedelta(seconds=1))
    tie_b = replace(BASE, order_id=3)
    tie_a = replace(BASE, order_id=2)
    unpaid = replace(BASE, order_id=0, paid_at=None)

    assert ordered(unpaid, later, tie_b, tie_a) == [2, 3, 1, 0]


def test_other_tags_do_not_raise_priority():
    loyal = replace(BASE, order_id=2, buyer_tags=frozenset({"loyal"}))
    first = replace(BASE, order_id=1, paid_at=T0 - timedelta(minutes=1))

    assert ordered(loyal, first) == [1, 2]


DEADLINE = T0 + timedelta(days=7)


def state(deposit=None, balance=None, now=T0, deadline=DEADLINE) -> str:
    return presale_state(PresaleFacts(1, deposit, balance), now, deadline).state


def test_presale_deposit_reserves_balance_ships():
    assert state() == "wait_deposit"
    assert state(deposit=T0) == "reserve"
    assert state(deposit=T0, balance=T0 + timedelta(days=1)) == "ship_pool"


def test_presale_deadline_exactly_is_still_in_time_after_it_releases_and_closes():
    assert state(deposit=T0, now=DEADLINE) == "reserve"
    decision = presale_state(PresaleFacts(1, T0, None), DEADLINE + timedelta(seconds=1), DEADLINE)

    assert decision.state == "release_and_close"
    assert decision.decision.reason == "balance unpaid after its deadline: release the stock and close"
    assert decision.decision.inputs["deadline"] == DEADLINE.isoformat()


def test_presale_without_a_deadline_never_closes_and_a_paid_balance_is_never_closed():
    assert state(deposit=T0, now=T0 + timedelta(days=365), deadline=None) == "reserve"
    assert state(deposit=T0, balance=T0, now=DEADLINE + timedelta(days=1)) == "ship_pool"
