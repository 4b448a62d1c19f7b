from decimal import Decimal

import pytest

from orderhub.events import Actor
from orderhub.models import Hold, Order, OrderEvent
from orderhub.selectors import order_by_phone
from orderhub.services.catalog import MappingItem, sku_mapping_save
from tests.factories import line, make_shop, make_sku, normalized, upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return make_shop()


@pytest.fixture
def sku_a():
    return make_sku(code="SKU-A")


def test_first_delivery_creates_the_order_with_lines_and_a_received_event(shop, sku_a):
    outcome = upsert(shop, normalized("T1", lines=[line("SKU-A", quantity=2)]))

    order = Order.objects.get(pk=outcome.order_id)
    assert outcome.result == "created"
    assert (order.status, order.paid_amount, order.receiver_city) == ("paid", Decimal("100.00"), "杭州市")
    assert [(m.sku.code, m.quantity) for m in order.lines.get().mapped_skus.all()] == [("SKU-A", 2)]
    assert list(order.events.values_list("type", flat=True)) == ["order_received", "lines_mapped"]
    assert not order.holds.exists()


def test_replaying_the_same_payload_changes_nothing(shop, sku_a):
    first = upsert(shop, normalized("T1"))
    events = OrderEvent.objects.count()

    again = upsert(shop, normalized("T1"))

    assert (again.order_id, again.result) == (first.order_id, "unchanged")
    assert Order.objects.count() == 1
    assert OrderEvent.objects.count() == events


def test_an_older_update_never_overwrites_a_newer_one(shop, sku_a):
    upsert(shop, normalized("T1", status="shipped", updated_minutes=10))

    stale = upsert(shop, normalized("T1", status="paid", updated_minutes=5, buyer_remark="old"))

    order = Order.objects.get()
    assert stale.result == "stale"
    assert (order.status, order.buyer_remark) == ("shipped", "")


def test_a_newer_status_moves_the_order_through_the_transition_table(shop, sku_a):
    upsert(shop, normalized("T1", status="pending_payment"))

    outcome = upsert(
        shop, normalized("T1", status="paid", updated_minutes=3, raw_status="WAIT_SELLER_SEND_GOODS")
    )

    order = Order.objects.get()
    assert outcome.result == "updated"
    assert (order.status, order.raw_status) == ("paid", "WAIT_SELLER_SEND_GOODS")
    assert order.events.filter(type="status_changed", parameters__to_status="paid").exists()


def test_a_newer_but_impossible_status_is_a_conflict_hold_not_an_overwrite(shop, sku_a):
    upsert(shop, normalized("T1", status="cancelled"))

    upsert(shop, normalized("T1", status="paid", updated_minutes=3, raw_status="WAIT_SELLER_SEND_GOODS"))

    order = Order.objects.get()
    assert order.status == "cancelled"
    assert order.raw_status == "WAIT_SELLER_SEND_GOODS"  # the platform's claim stays visible
    assert order.holds.get(kind="status_conflict").details["reported"] == "paid"


def test_different_amounts_after_payment_are_a_discrepancy_not_a_silent_overwrite(shop, sku_a):
    upsert(shop, normalized("T1", paid="50.00"))

    upsert(shop, normalized("T1", paid="45.00", updated_minutes=2))

    order = Order.objects.get()
    assert order.paid_amount == Decimal("50.00")
    event = order.events.get(type="amount_discrepancy")
    assert (event.parameters["ours"]["paid_amount"], event.parameters["reported"]["paid_amount"]) == (
        "50.00",
        "45.00",
    )
    assert order.holds.filter(kind="amount_discrepancy", status="open").exists()


def test_amounts_may_change_before_payment(shop, sku_a):
    upsert(shop, normalized("T1", status="pending_payment", paid="50.00"))

    upsert(shop, normalized("T1", status="pending_payment", paid="39.00", updated_minutes=1))

    order = Order.objects.get()
    assert order.paid_amount == Decimal("39.00")
    assert not order.events.filter(type="amount_discrepancy").exists()


def test_unmapped_sku_holds_the_order_at_level_3_and_a_later_mapping_releases_it(shop):
    upsert(shop, normalized("T1", lines=[line("PLATFORM-ONLY", quantity=3, platform_sku_id="998877")]))
    order = Order.objects.get()
    hold = order.holds.get(kind="unmapped_sku")
    assert (hold.level, hold.status) == (3, "open")
    assert not order.lines.get().mapped_skus.exists()

    food, bowl = make_sku(code="FOOD"), make_sku(code="BOWL")
    sku_mapping_save(
        shop=shop,
        platform_sku_id="998877",
        items=[MappingItem(food, 2), MappingItem(bowl, 1)],
        actor=Actor.system("test"),
    )

    hold.refresh_from_db()
    assert hold.status == "resolved"
    assert sorted((m.sku.code, m.quantity) for m in order.lines.get().mapped_skus.all()) == [
        ("BOWL", 3),
        ("FOOD", 6),
    ]


def test_platform_blocking_flag_places_a_hold(shop, sku_a):
    upsert(shop, normalized("T1", raw_status="PAID_FORBID_CONSIGN", flags=frozenset({"platform_blocked"})))

    assert Hold.objects.get().kind == "platform_blocked"


def test_the_same_order_id_in_two_shops_is_two_orders(sku_a):
    upsert(make_shop(), normalized("T1"))
    upsert(make_shop(), normalized("T1"))

    assert Order.objects.count() == 2


def test_receiver_phone_is_searchable_by_its_keyed_hash(shop, sku_a):
    upsert(shop, normalized("T1", phone="+86 138-1234-1234"))

    assert order_by_phone("13812341234").count() == 1
    assert order_by_phone("13812341235").count() == 0


def test_a_gift_line_we_added_is_neither_a_discrepancy_nor_replaced(shop, sku_a):
    upsert(shop, normalized("T1", status="pending_payment"))
    order = Order.objects.get()
    order.lines.create(title="赠品", quantity=1, is_gift=True)

    upsert(shop, normalized("T1", status="paid", updated_minutes=2))
    upsert(shop, normalized("T1", status="paid", updated_minutes=3, buyer_remark="快点发"))

    assert order.lines.filter(is_gift=True).count() == 1
    assert not order.events.filter(type="amount_discrepancy").exists()
    assert not order.holds.filter(kind="amount_discrepancy").exists()
