"""order_process: a paid order's holds, gift, warehouse, carrier and allocation, each decision recorded."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from fulfillment.decide_tasks import order_process_task, order_released_task
from fulfillment.demo import seed_fulfillment_demo
from fulfillment.models import Allocation, AllocationStatus, Stock, Warehouse
from fulfillment.models_decisions import FulfillmentState
from fulfillment.services.decide import order_process
from fulfillment.tasks import release_on_cancel
from orderhub import dispatch
from orderhub.events import Actor
from orderhub.models import Hold, HoldStatus, Order, Sku
from orderhub.normalized import NormalizedReceiver
from orderhub.ops.models import Alert
from orderhub.services.holds import hold_resolve
from orderhub.services.orders import order_cancel
from tests.factories import line, make_order, make_shop, make_sku
from tests.fulfillment.conftest import make_stock

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
XINJIANG = NormalizedReceiver(
    "李四", "13900001111", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路 1 号"
)


@pytest.fixture
def wh():
    """The demo warehouses (SZ, HF, GZ) with routing, carrier and gift rules."""
    seed_fulfillment_demo()
    return {w.code: w for w in Warehouse.objects.all()}


@pytest.fixture
def queued(monkeypatch):
    tasks = []
    monkeypatch.setattr(dispatch, "async_task", lambda func, **kwargs: tasks.append((func, kwargs)))
    return tasks


def paid_order(*items: tuple[Sku, int], price: str = "50.00", shop=None, **fields) -> Order:
    lines = [line(outer=sku.code, quantity=quantity, price=price) for sku, quantity in items]
    return make_order(shop or make_shop(), lines=lines, **fields)


def decisions(order: Order) -> list[dict]:
    return [e.parameters for e in order.events.filter(type="decision").order_by("pk")]


def open_holds(order: Order) -> list[tuple[str, int]]:
    return list(Hold.objects.filter(order=order, status=HoldStatus.OPEN).values_list("kind", "level"))


def allocated(warehouse: Warehouse, sku: Sku) -> int:
    return Stock.objects.get(warehouse=warehouse, sku=sku).allocated


def test_paid_order_in_east_china_is_allocated_in_suzhou_with_carrier_and_promise(wh):
    # given stock in Suzhou and a paid order to Hangzhou (East China: SZ first, promised in 1 day)
    sku = make_sku(weight_g=500)
    make_stock(wh["SZ"], sku, on_hand=100)
    order = paid_order((sku, 2))

    # when
    result = order_process(order_id=order.pk, actor=SYSTEM)

    # then
    assert result.state == FulfillmentState.ALLOCATED
    assert (result.warehouse.code, result.split, result.carrier.code) == ("SZ", False, "ZTO")
    assert result.carrier_surcharge == Decimal("0")
    assert result.estimated_delivery_at == result.decided_at + timedelta(days=1)
    assert result.priority_rank.endswith(f"{order.pk:012d}")
    assert allocated(wh["SZ"], sku) == 2
    recorded = decisions(order)
    assert [d["kind"] for d in recorded] == ["hold", "warehouse", "carrier"]
    assert all({"rule", "inputs", "outcome", "reason"} <= d.keys() for d in recorded)
    assert recorded[1]["rule"].startswith("routing rule") and recorded[1]["outcome"]["plan"] == {
        "SZ": [[order.lines.get().pk, sku.pk, 2]]
    }
    assert recorded[2]["outcome"] == {"carrier": "ZTO", "surcharge": "0"}
    # personal data stays out of the timeline
    assert "文三路" not in str(recorded) and "13812341234" not in str(recorded)


def test_processing_again_changes_nothing(wh):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)
    order = paid_order((sku, 1))
    order_process(order_id=order.pk, actor=SYSTEM)
    events = order.events.count()

    order_process(order_id=order.pk, actor=SYSTEM)

    assert allocated(wh["SZ"], sku) == 1
    assert order.events.count() == events


def test_suzhou_below_its_safety_threshold_sends_the_order_to_hefei(wh):
    # given Suzhou would fall below its safety threshold, Hefei has plenty
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10, safety_threshold=5)
    make_stock(wh["HF"], sku, on_hand=100)
    order = paid_order((sku, 6))

    result = order_process(order_id=order.pk, actor=SYSTEM)

    assert (result.state, result.warehouse.code, result.carrier.code) == ("allocated", "HF", "YTO")
    assert result.estimated_delivery_at == result.decided_at + timedelta(days=2)
    assert (allocated(wh["SZ"], sku), allocated(wh["HF"], sku)) == (0, 6)
    assert "SZ skipped" in decisions(order)[1]["reason"]


def test_unresolvable_address_is_held_at_level_1_and_nothing_is_allocated(wh):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)
    order = paid_order(
        (sku, 1), receiver=NormalizedReceiver("王五", "13700000000", "", "", "", "某某路 1 号")
    )

    result = order_process(order_id=order.pk, actor=SYSTEM)

    assert result.state == FulfillmentState.HELD
    assert open_holds(order) == [("address", 1)]
    assert not Allocation.objects.filter(line__order=order).exists()
    assert [(d["kind"], d["outcome"]["hold"]) for d in decisions(order)] == [("hold", "address")]


def test_sixth_order_from_one_phone_in_24_hours_is_held_for_risk(wh):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=100)
    shop = make_shop()
    earlier = [paid_order((sku, 1), shop=shop, phone="13600000006") for _ in range(5)]
    order = paid_order((sku, 1), shop=shop, phone="13600000006")

    fifth = order_process(order_id=earlier[-1].pk, actor=SYSTEM)
    result = order_process(order_id=order.pk, actor=SYSTEM)

    assert fifth.state == FulfillmentState.ALLOCATED  # five are fine
    assert result.state == FulfillmentState.HELD
    assert open_holds(order) == [("risk", 2)]
    assert decisions(order)[0]["inputs"]["orders_by_phone_24h"] == 6


def test_first_time_buyer_over_5000_is_held_for_risk(wh):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)
    order = paid_order((sku, 1), price="5000.01")

    result = order_process(order_id=order.pk, actor=SYSTEM)

    assert result.state == FulfillmentState.HELD
    assert open_holds(order) == [("risk", 2)]
    assert "first-time buyer" in Hold.objects.get(order=order).reason


def test_no_stock_anywhere_freezes_the_order_and_alerts_purchasing(wh, caplog):
    sku = make_sku(code="NOSTOCK-1")
    order = paid_order((sku, 2))

    with caplog.at_level(logging.WARNING, logger="fulfillment.services.decide"):
        result = order_process(order_id=order.pk, actor=SYSTEM)

    assert result.state == FulfillmentState.OUT_OF_STOCK
    hold = Hold.objects.get(order=order)
    assert (hold.kind, hold.level) == ("out_of_stock", 3)
    assert hold.details == {"short": {"NOSTOCK-1": {"needed": 2, "available": 0}}}
    assert "alert purchasing" in caplog.text and "NOSTOCK-1" in caplog.text
    assert "13812341234" not in caplog.text and "张三" not in caplog.text
    alert = Alert.objects.get(kind="purchasing")
    assert alert.value == 1 and "NOSTOCK-1" in alert.message

    # a second frozen order makes it worse: the same alert, its value grows
    order_process(order_id=paid_order((Sku.objects.get(code="NOSTOCK-1"), 1)).pk, actor=SYSTEM)
    alert = Alert.objects.get(kind="purchasing")
    assert alert.value == 2


def test_gift_is_added_once_even_when_the_order_is_decided_again(
    wh, queued, django_capture_on_commit_callbacks
):
    # given the demo gift rule (ZP-2026-01, paid >= 299 → FP-001 × 1) and the main SKU only in
    # Guangzhou, which does not serve Zhejiang: the first decision adds the gift, then finds no warehouse
    main, gift = Sku.objects.get(code="ZP-2026-01"), Sku.objects.get(code="FP-001")
    make_stock(wh["GZ"], main, on_hand=5)
    make_stock(wh["SZ"], gift, on_hand=5)
    order = paid_order((main, 1), price="299.00")
    first = order_process(order_id=order.pk, actor=SYSTEM)
    assert first.state == FulfillmentState.OUT_OF_STOCK

    # when stock arrives in Suzhou, staff approve the hold and the released order is decided again
    make_stock(wh["SZ"], main, on_hand=5)
    with django_capture_on_commit_callbacks(execute=True):
        hold_resolve(hold_id=Hold.objects.get(order=order).pk, actor=SYSTEM, resolution="approve")
    assert ("fulfillment.decide_tasks.order_released_task", order.pk) in [
        (func, kwargs["order_id"]) for func, kwargs in queued
    ]
    order_released_task(order.pk)
    order_process(order_id=order.pk, actor=SYSTEM)

    # then one gift line, free, labelled, mapped to FP-001 and allocated with the order
    gifts = list(order.lines.filter(is_gift=True))
    assert len(gifts) == 1
    assert (gifts[0].title, gifts[0].quantity, gifts[0].unit_price, gifts[0].paid_amount) == (
        "赠品:智能饮水机滤芯×1",
        1,
        Decimal("0"),
        Decimal("0"),
    )
    assert list(gifts[0].mapped_skus.values_list("sku__code", "quantity")) == [("FP-001", 1)]
    order.fulfillment.refresh_from_db()
    assert order.fulfillment.state == FulfillmentState.ALLOCATED
    assert (allocated(wh["SZ"], main), allocated(wh["SZ"], gift)) == (1, 1)
    assert [d["outcome"].get("gift") for d in decisions(order) if d["kind"] == "gift"] == ["FP-001"]


def test_remote_province_ships_by_ems_with_its_surcharge(wh):
    sku = make_sku()
    make_stock(wh["HF"], sku, on_hand=10)
    order = paid_order((sku, 1), receiver=XINJIANG)

    result = order_process(order_id=order.pk, actor=SYSTEM)

    assert (result.state, result.warehouse.code) == ("allocated", "HF")
    assert (result.carrier.code, result.carrier_surcharge) == ("EMS", Decimal("8.00"))
    assert result.estimated_delivery_at == result.decided_at + timedelta(days=3)


def test_approving_the_last_hold_runs_the_decisions_again(wh, queued, django_capture_on_commit_callbacks):
    # given a first-time buyer's large order held for risk
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)
    order = paid_order((sku, 1), price="6000.00")
    assert order_process(order_id=order.pk, actor=SYSTEM).state == FulfillmentState.HELD

    # when staff approve it, the core announces the release and the subscribed task runs
    with django_capture_on_commit_callbacks(execute=True):
        hold_resolve(hold_id=Hold.objects.get(order=order).pk, actor=SYSTEM, resolution="approve")
    released = [kwargs["order_id"] for func, kwargs in queued if func.endswith("order_released_task")]
    assert released == [order.pk]
    assert order_released_task(order.pk) == FulfillmentState.ALLOCATED

    # then it is allocated and the approved risk is recorded but not held again
    assert open_holds(order) == []
    assert allocated(wh["SZ"], sku) == 1
    risk = [d for d in decisions(order) if d["kind"] == "hold"][-1]
    assert risk["outcome"] == {"hold": "risk", "level": 2, "placed": False}


def test_cancelling_an_allocated_order_releases_its_stock(wh, queued, django_capture_on_commit_callbacks):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)
    order = paid_order((sku, 3))
    order_process(order_id=order.pk, actor=SYSTEM)
    assert allocated(wh["SZ"], sku) == 3

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=SYSTEM, reason="buyer asked")
    tasks = {
        "fulfillment.tasks.release_on_cancel": release_on_cancel,
        "fulfillment.decide_tasks.order_process_task": order_process_task,
    }
    # Other subscribers (the warehouse voiding waybills, say) hear it too; these two matter here.
    assert set(tasks) <= {func for func, _ in queued}
    for func, kwargs in queued:
        if func in tasks:
            tasks[func](kwargs["order_id"])

    assert allocated(wh["SZ"], sku) == 0
    assert not Allocation.objects.filter(line__order=order, status=AllocationStatus.ACTIVE).exists()
    order.fulfillment.refresh_from_db()
    assert order.fulfillment.state == FulfillmentState.CANCELLED


def test_paid_announcement_reaches_order_process_task(wh, queued, django_capture_on_commit_callbacks):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)

    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order((sku, 1))

    calls = [
        kwargs["order_id"] for func, kwargs in queued if func == "fulfillment.decide_tasks.order_process_task"
    ]
    assert calls == [order.pk]
    assert order_process_task(order.pk) == FulfillmentState.ALLOCATED
    assert allocated(wh["SZ"], sku) == 1


def test_an_unpaid_order_is_not_decided(wh):
    sku = make_sku()
    make_stock(wh["SZ"], sku, on_hand=10)
    order = paid_order((sku, 1), status="pending_payment")

    assert order_process(order_id=order.pk, actor=SYSTEM) is None
    assert allocated(wh["SZ"], sku) == 0 and decisions(order) == []
