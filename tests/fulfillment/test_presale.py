"""Presale: the deposit reserves stock, the balance releases the order to the shipping pool, an overdue
balance releases the reservation and closes the order."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.taobao.mapping import normalize as taobao_normalize
from channels_sync.services.generic import normalized_from_json
from fulfillment.decide_tasks import order_process_task
from fulfillment.demo import seed_fulfillment_demo
from fulfillment.models import Allocation, AllocationStatus, FulfillmentSettings, Stock, Warehouse
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.services.presale import presales_expire
from fulfillment.tasks import release_on_cancel
from orderhub import dispatch
from orderhub.models import Hold, Order, Sku
from orderhub.status import OrderStatus
from tests.factories import T0, line, make_shop, normalized, upsert
from tests.fulfillment.conftest import make_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    tasks = []
    monkeypatch.setattr(dispatch, "async_task", lambda func, **kwargs: tasks.append((func, kwargs)))
    return tasks


@pytest.fixture
def sku():
    seed_fulfillment_demo()
    item = Sku.objects.get(code="ZP-2026-01")
    make_stock(Warehouse.objects.get(code="SZ"), item, on_hand=10)
    return item


# Deposits are judged against the clock: paid an hour ago, their deadline is still ahead.
DEPOSIT = timezone.now().replace(microsecond=0) - timedelta(hours=1)


def deposit_order(shop, sku, order_id="PRE-1", **fields):
    values = {"deposit_paid_at": DEPOSIT, "status": "pending_payment"} | fields
    return normalized(order_id, lines=[line(outer=sku.code, quantity=2)], **values)


def reserved_units(sku) -> int:
    return sum(Stock.objects.filter(sku=sku).values_list("allocated", flat=True))


def run_queued(queued, django_capture_on_commit_callbacks, call):
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = call()
    for func, kwargs in list(queued):
        if func == "fulfillment.decide_tasks.order_process_task":
            order_process_task(kwargs["order_id"])
        elif func == "fulfillment.tasks.release_on_cancel":
            release_on_cancel(kwargs["order_id"])
    return outcome


def test_deposit_reserves_stock_and_balance_releases_the_order_to_ship(
    sku, queued, django_capture_on_commit_callbacks
):
    shop = make_shop()
    outcome = run_queued(
        queued, django_capture_on_commit_callbacks, lambda: upsert(shop, deposit_order(shop, sku))
    )
    order = Order.objects.get(pk=outcome.order_id)
    assert ("fulfillment.decide_tasks.order_process_task", {"order_id": order.pk}) in [
        (func, {k: v for k, v in kwargs.items() if k != "task_name"}) for func, kwargs in queued
    ]
    record = OrderFulfillment.objects.get(order=order)
    assert record.state == FulfillmentState.RESERVED and reserved_units(sku) == 2
    presale = order.events.get(type="decision", parameters__kind="presale").parameters
    assert presale["outcome"] == {"state": "reserve"}

    # the balance is paid: the same reservation now ships, nothing reserved twice
    paid = deposit_order(shop, sku, status="paid", updated_at=T0 + timedelta(hours=1), deposit_paid_at=None)
    run_queued(queued, django_capture_on_commit_callbacks, lambda: upsert(shop, paid))
    record.refresh_from_db()
    order.refresh_from_db()
    assert record.state == FulfillmentState.ALLOCATED and record.warehouse.code == "SZ"
    assert reserved_units(sku) == 2
    assert Allocation.objects.filter(line__order=order, status=AllocationStatus.ACTIVE).count() == 1
    assert order.presale_deposit_paid_at == DEPOSIT  # the fully paid trade keeps its deposit on record


def test_a_deposit_is_not_held_for_risk_the_balance_is(sku, queued, django_capture_on_commit_callbacks):
    settings = FulfillmentSettings.current()
    settings.risk_first_order_amount = 10
    settings.save()
    shop = make_shop()
    outcome = run_queued(
        queued, django_capture_on_commit_callbacks, lambda: upsert(shop, deposit_order(shop, sku))
    )
    assert OrderFulfillment.objects.get(order_id=outcome.order_id).state == FulfillmentState.RESERVED
    assert not Hold.objects.exists()

    paid = deposit_order(shop, sku, status="paid", updated_at=T0 + timedelta(hours=1))
    run_queued(queued, django_capture_on_commit_callbacks, lambda: upsert(shop, paid))
    assert OrderFulfillment.objects.get(order_id=outcome.order_id).state == FulfillmentState.HELD
    assert list(Hold.objects.values_list("kind", flat=True)) == ["risk"]
    assert reserved_units(sku) == 2  # held, its stock still set aside


def test_an_overdue_balance_releases_the_stock_and_closes_the_order(
    sku, queued, django_capture_on_commit_callbacks
):
    shop = make_shop()
    due = DEPOSIT + timedelta(days=2)
    outcome = run_queued(
        queued,
        django_capture_on_commit_callbacks,
        lambda: upsert(shop, deposit_order(shop, sku, balance_due_at=due)),
    )
    assert reserved_units(sku) == 2

    assert presales_expire(now=due) == []  # paying exactly at the deadline is still in time
    closed = run_queued(
        queued, django_capture_on_commit_callbacks, lambda: presales_expire(now=due + timedelta(minutes=1))
    )

    assert closed == [outcome.order_id]
    order = Order.objects.get(pk=outcome.order_id)
    assert order.status == OrderStatus.CANCELLED and reserved_units(sku) == 0
    assert OrderFulfillment.objects.get(order=order).state == FulfillmentState.CANCELLED
    reason = order.events.filter(type="decision", parameters__kind="presale").last().parameters["reason"]
    assert "balance unpaid after its deadline" in reason


def test_without_a_platform_deadline_the_configured_days_apply(
    sku, queued, django_capture_on_commit_callbacks
):
    shop = make_shop()
    run_queued(queued, django_capture_on_commit_callbacks, lambda: upsert(shop, deposit_order(shop, sku)))
    days = FulfillmentSettings.current().presale_balance_days

    assert presales_expire(now=DEPOSIT + timedelta(days=days)) == []
    assert len(presales_expire(now=DEPOSIT + timedelta(days=days, seconds=1))) == 1


def test_taobao_step_trades_carry_the_deposit():
    trade = {
        "tid_str": "3001",
        "status": "WAIT_BUYER_PAY",
        "step_trade_status": "FRONT_PAID_FINAL_NOPAID",
        "pay_time": "2026-10-20 10:00:00",
        "modified": "2026-10-20 10:00:00",
        "payment": "30.00",
        "orders": {"order": []},
    }
    deposit = taobao_normalize(trade)
    assert deposit.status == "pending_payment" and deposit.deposit_paid_at is not None
    paid = taobao_normalize(
        trade | {"status": "WAIT_SELLER_SEND_GOODS", "step_trade_status": "FRONT_PAID_FINAL_PAID"}
    )
    assert paid.status == "paid" and paid.deposit_paid_at is None
    assert "deposit_paid_at" not in deposit.to_json()  # the documented normalize keys stay as they are


def test_the_generic_json_accepts_presale_times_and_refuses_naive_ones():
    base = {
        "platform_order_id": "G1",
        "status": "pending_payment",
        "paid_amount": "10.00",
        "lines": [{"outer_sku_code": "A", "quantity": 1}],
    }
    order = normalized_from_json(
        base
        | {"deposit_paid_at": "2026-10-20T10:00:00+08:00", "balance_due_at": "2026-10-27T10:00:00+08:00"},
        platform="manual",
    )
    assert order.balance_due_at - order.deposit_paid_at == timedelta(days=7)
    with pytest.raises(PayloadError, match="deposit_paid_at"):
        normalized_from_json(base | {"deposit_paid_at": "2026-10-20 10:00"}, platform="manual")


def test_the_overdue_scan_is_scheduled():
    schedule = Schedule.objects.get(func="fulfillment.tasks.presales_expire_task")
    assert schedule.minutes == 10 and schedule.repeats == -1
