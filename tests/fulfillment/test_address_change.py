# ruff: noqa: F811 - pytest fixtures imported from warehouse_fixtures
"""Address changes after payment, dual track: the rule's every path as a pure function, then each path
end to end — announced by the order upsert, waybill updated in place / voided and reissued with a
re-pickup task over the sandbox, or a hold for customer service."""

from datetime import timedelta

import pytest

from fulfillment.models_warehouse import Parcel, Repickup, Waybill
from fulfillment.rules.address_change import (
    HOLD,
    NO_WAYBILL,
    NONE,
    REISSUE,
    UPDATE_IN_PLACE,
    AddressChangeFacts,
    AddressParts,
    decide_address_change,
)
from fulfillment.services.address_change import order_address_change
from fulfillment.services.cycle import parcel_ensure
from fulfillment.services.waybills import waybill_issue
from fulfillment.tasks_warehouse import address_changed_task
from orderhub import dispatch
from orderhub.events import Actor
from orderhub.models import Hold
from orderhub.normalized import NormalizedReceiver
from tests.factories import T0, normalized, upsert
from tests.fulfillment.warehouse_fixtures import (  # noqa: F401
    allocated_order,
    fast_retries,
    http,
    make_site,
    sandbox,
    sandbox_shop,
    skus,
    stock_up,
)

ACTOR = Actor.system("address change")
HOME = AddressParts("张三", "13900000001", "浙江省", "杭州市", "西湖区", "文三路 90 号 502 室")


def facts(current: AddressParts, *, minutes: int = 30, packed=False, shipped=False, waybill=HOME, window=120):
    return AddressChangeFacts(
        paid_at=T0, now=T0 + timedelta(minutes=minutes), window_minutes=window,
        packed=packed, shipped=shipped, waybill_address=waybill, current=current,
    )  # fmt: skip


class TestRule:
    def test_same_address_needs_nothing(self):
        assert decide_address_change(facts(HOME)).path == NONE

    def test_door_number_within_the_window_updates_the_waybill_in_place(self):
        decision = decide_address_change(facts(AddressParts(*HOME.__dict__.values()).__class__(
            "张三", "13900000001", "浙江省", "杭州市", "西湖区", "文三路 90 号 1202 室")))  # fmt: skip
        assert (decision.path, decision.changed) == (UPDATE_IN_PLACE, ("detail",))

    def test_another_district_within_the_window_reissues(self):
        moved = AddressParts("张三", "13900000001", "浙江省", "杭州市", "滨江区", "江南大道 1 号")
        decision = decide_address_change(facts(moved))
        assert decision.path == REISSUE and set(decision.changed) == {"district", "detail"}

    def test_outside_the_window_goes_to_customer_service(self):
        moved = AddressParts("张三", "13900000001", "浙江省", "杭州市", "西湖区", "another door")
        decision = decide_address_change(facts(moved, minutes=121))
        assert decision.path == HOLD and "121 minutes after payment" in decision.reason
        assert decide_address_change(facts(moved, minutes=10, window=5)).path == HOLD

    def test_packed_or_shipped_goes_to_customer_service(self):
        moved = AddressParts("张三", "13900000001", "浙江省", "杭州市", "西湖区", "another door")
        assert decide_address_change(facts(moved, packed=True)).reason == "the parcel is already packed"
        assert decide_address_change(facts(moved, shipped=True)).reason == "the parcel has already shipped"

    def test_no_waybill_yet_needs_no_redo(self):
        assert decide_address_change(facts(HOME, waybill=None)).path == NO_WAYBILL


@pytest.fixture
def placed(db, sandbox, http):
    """A Taobao order over the sandbox, allocated, with its Cainiao waybill."""
    site = make_site()
    (cup,) = skus(1)
    stock_up(site, cup)
    shop = sandbox_shop(sandbox, "taobao")
    order = allocated_order(shop, (cup, 1), order_id="AC1001", phone="13900000001")
    return shop, order, waybill_issue(order_id=order.pk, actor=ACTOR, http=http)


def change_receiver(shop, order, receiver: NormalizedReceiver, queued):
    """The platform reports the order again with a new receiver (a later modified time)."""
    from tests.factories import line

    lines = [
        line(outer=item.outer_sku_code, quantity=item.quantity) for item in order.lines.filter(is_gift=False)
    ]
    upsert(shop, normalized(order.platform_order_id, updated_minutes=20, lines=lines, receiver=receiver))
    return [ids for event, ids in queued if event == "order.address_changed"]


@pytest.fixture
def queued(monkeypatch):
    """What the upsert announces (event name, ids), instead of queueing it."""
    from orderhub.services import upsert as upsert_module

    announced = []
    monkeypatch.setattr(upsert_module, "announce", lambda event, **ids: announced.append((event, ids)))
    return announced


def test_upsert_announces_the_change_and_late_changes_become_a_hold(placed, queued):
    shop, order, waybill = placed
    moved = NormalizedReceiver("张三", "13900000001", "浙江省", "杭州市", "西湖区", "文三路 90 号 1202 室")
    announced = change_receiver(shop, order, moved, queued)

    assert announced == [{"order_id": order.pk}]
    assert dispatch.subscribers("order.address_changed") == [
        "fulfillment.tasks_warehouse.address_changed_task"
    ]
    # Paid on 2026-11-11 (T0): far outside the 120-minute window by now.
    assert address_changed_task(order_id=order.pk) == HOLD
    hold = Hold.objects.get(order=order, kind="address_change", status="open")
    assert "beyond the 120-minute window" in hold.reason
    waybill.refresh_from_db()
    assert (
        waybill.status == "active" and waybill.receiver_detail == "文三路 90 号 502 室"
    )  # the old one stays


def test_door_change_within_the_window_updates_the_waybill_in_place(placed, queued, sandbox, http):
    shop, order, waybill = placed
    moved = NormalizedReceiver("张三", "13900000001", "浙江省", "杭州市", "西湖区", "文三路 90 号 1202 室")
    change_receiver(shop, order, moved, queued)

    path = order_address_change(order_id=order.pk, actor=ACTOR, http=http, now=T0 + timedelta(minutes=30))

    assert path == UPDATE_IN_PLACE
    waybill.refresh_from_db()
    assert (waybill.status, waybill.receiver_detail) == ("active", "文三路 90 号 1202 室")
    assert Waybill.objects.filter(order=order).count() == 1 and not Repickup.objects.exists()
    _, _, sent = next(call for call in sandbox.state.received if call[1] == "cainiao.waybill.ii.update")
    assert (
        sent["waybill_code"] == waybill.number
        and sent["recipient"]["address"]["detail"] == "文三路 90 号 1202 室"
    )
    assert order.events.filter(type="address_change", parameters__path=UPDATE_IN_PLACE).exists()


def test_district_change_within_the_window_reissues_and_asks_for_a_repickup(placed, queued, sandbox, http):
    shop, order, old = placed
    moved = NormalizedReceiver("张三", "13900000001", "浙江省", "杭州市", "滨江区", "江南大道 1 号")
    change_receiver(shop, order, moved, queued)

    path = order_address_change(order_id=order.pk, actor=ACTOR, http=http, now=T0 + timedelta(minutes=60))

    assert path == REISSUE
    old.refresh_from_db()
    new = Waybill.objects.get(order=order, status="active")
    assert old.status == "voided" and "another city or district" in old.void_reason
    assert (new.receiver_district, new.receiver_detail) == (
        "滨江区",
        "江南大道 1 号",
    ) and new.number != old.number
    repickup = Repickup.objects.get(order=order)
    assert (repickup.old_waybill_id, repickup.new_waybill_id, repickup.status) == (old.pk, new.pk, "open")
    # The old waybill keeps the address it was issued for.
    assert (old.receiver_district, old.receiver_detail) == ("西湖区", "文三路 90 号 502 室")


def test_a_change_after_packing_goes_to_customer_service(placed, queued, http):
    shop, order, _ = placed
    Parcel.objects.filter(pk=parcel_ensure(order.pk).pk).update(status="packed")
    moved = NormalizedReceiver("张三", "13900000001", "浙江省", "杭州市", "西湖区", "文三路 90 号 1202 室")
    change_receiver(shop, order, moved, queued)

    assert (
        order_address_change(order_id=order.pk, actor=ACTOR, http=http, now=T0 + timedelta(minutes=5)) == HOLD
    )
    assert Hold.objects.get(order=order, kind="address_change").reason.endswith(
        "the parcel is already packed"
    )


def test_a_provider_failure_becomes_a_hold_not_a_lost_change(placed, queued, sandbox, http):
    shop, order, waybill = placed
    moved = NormalizedReceiver("张三", "13900000001", "浙江省", "杭州市", "西湖区", "文三路 90 号 1202 室")
    change_receiver(shop, order, moved, queued)
    sandbox.state.faults.fail_next = 10  # the gateway is down for every retry

    path = order_address_change(order_id=order.pk, actor=ACTOR, http=http, now=T0 + timedelta(minutes=30))

    assert path == HOLD
    hold = Hold.objects.get(order=order, kind="address_change", status="open")
    assert "the waybill could not follow" in hold.reason
    waybill.refresh_from_db()
    assert (waybill.status, waybill.receiver_detail) == ("active", "文三路 90 号 502 室")


def test_an_unpaid_order_changing_address_needs_nothing(db):
    from tests.factories import make_order, make_shop

    order = make_order(make_shop(), "UNPAID-1", status="pending_payment")
    assert order_address_change(order_id=order.pk, actor=ACTOR) == NONE
    assert not Hold.objects.filter(order=order, kind="address_change").exists()
