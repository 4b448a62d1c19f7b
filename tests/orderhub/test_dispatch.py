"""The after-commit dispatcher: one task per subscriber per transaction, batches decided at once, a
failed batch retried one call at a time, nothing announced from rolled-back work."""

import pytest
from django.db import transaction

from orderhub import dispatch
from orderhub.events import Actor
from orderhub.services.upsert import orders_upsert
from tests.factories import make_shop, normalized
from tests.orderhub import subscriber

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "tests.orderhub.subscriber.record"


@pytest.fixture
def queued(monkeypatch, settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"order.paid": [PATH], "order.cancelled": [PATH]}
    tasks = []
    monkeypatch.setattr(
        dispatch, "async_task", lambda func, *args, **kwargs: tasks.append((func, args, kwargs))
    )
    subscriber.received.clear()
    subscriber.batches.clear()
    return tasks


def test_announcements_gathered_in_a_batch_become_one_task(queued):
    with transaction.atomic(), dispatch.batched():
        for order_id in (1, 2, 3):
            dispatch.announce("order.paid", order_id=order_id)
        assert queued == []  # nothing before the commit

    ((func, args, _),) = queued
    assert func == "orderhub.dispatch.deliver"
    assert args == (PATH, [{"order_id": 1}, {"order_id": 2}, {"order_id": 3}])


def test_a_single_announcement_queues_the_subscriber_itself(queued):
    with transaction.atomic():
        dispatch.announce("order.cancelled", order_id=7)

    assert queued == [(PATH, (), {"order_id": 7, "task_name": f"order.cancelled:{PATH}"})]


def test_work_rolled_back_in_a_savepoint_announces_nothing(queued):
    with transaction.atomic():
        dispatch.announce("order.paid", order_id=1)
        try:
            with transaction.atomic(), dispatch.batched():
                dispatch.announce("order.paid", order_id=2)
                dispatch.announce("order.paid", order_id=3)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    assert [kwargs.get("order_id") for _, _, kwargs in queued] == [1]


def test_a_bulk_upsert_announces_its_paid_orders_in_one_task(queued):
    shop = make_shop()
    items = [(normalized(f"B{n}"), {}) for n in range(3)]

    outcomes = orders_upsert(shop=shop, items=items, actor=Actor.channel("test"))

    ((func, args, _),) = queued
    assert func == "orderhub.dispatch.deliver"
    assert args == (PATH, [{"order_id": outcome.order_id} for outcome in outcomes])


def test_deliver_hands_a_batch_to_the_batch_form(queued):
    assert (
        dispatch.deliver("tests.orderhub.subscriber.record_batched", [{"order_id": 1}, {"order_id": 2}]) == 2
    )
    assert subscriber.batches == [[{"order_id": 1}, {"order_id": 2}]]


def test_deliver_calls_a_plain_subscriber_once_per_announcement(queued):
    assert dispatch.deliver(PATH, [{"order_id": 1}, {"order_id": 2}]) == 2
    assert subscriber.received == [{"order_id": 1}, {"order_id": 2}]


def test_a_failing_batch_is_queued_again_one_call_at_a_time(queued):
    calls = [{"order_id": 1}, {"order_id": 666}]
    assert dispatch.deliver("tests.orderhub.subscriber.record_batched", calls) == 0

    assert [(func, kwargs["order_id"]) for func, _, kwargs in queued] == [
        ("tests.orderhub.subscriber.record_batched", 1),
        ("tests.orderhub.subscriber.record_batched", 666),
    ]
