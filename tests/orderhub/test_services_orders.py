import threading

import pytest
from django.db import close_old_connections, connection

from orderhub import dispatch
from orderhub.events import Actor
from orderhub.exceptions import InvalidTransition
from orderhub.models import OrderEvent
from orderhub.services.holds import hold_place
from orderhub.services.orders import order_cancel, order_mark_priority, order_transition
from tests.factories import make_order

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def test_illegal_transition_is_refused_and_leaves_no_event():
    order = make_order(status="completed")
    events_before = OrderEvent.objects.filter(order=order).count()

    with pytest.raises(InvalidTransition) as refused:
        order_transition(order_id=order.pk, to_status="paid", actor=SYSTEM, reason="test")

    order.refresh_from_db()
    assert order.status == "completed"
    assert refused.value.details == {"from": "completed", "to": "paid"}
    assert OrderEvent.objects.filter(order=order).count() == events_before


def test_transition_writes_an_event_with_the_reason():
    order = make_order(status="paid")

    order_transition(
        order_id=order.pk, to_status="shipped", actor=SYSTEM, reason="waybill printed", raw_status="X"
    )

    order.refresh_from_db()
    event = order.events.get(type="status_changed")
    assert (order.status, order.raw_status) == ("shipped", "X")
    assert event.parameters == {
        "from_status": "paid",
        "to_status": "shipped",
        "raw_status": "X",
        "reason": "waybill printed",
    }
    assert (event.actor_type, event.actor_label) == ("system", "test")


def test_status_change_is_announced_to_subscribers_only_after_commit(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"order.cancelled": ["tests.orderhub.subscriber.record"]}
    queued = []
    monkeypatch.setattr(dispatch, "async_task", lambda func, **kwargs: queued.append((func, kwargs)))
    order = make_order(status="paid")

    with django_capture_on_commit_callbacks() as callbacks:
        order_cancel(order_id=order.pk, actor=SYSTEM, reason="buyer asked")
        assert queued == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    callbacks[0]()
    assert len(queued) == 1
    func, kwargs = queued[0]
    assert func == "tests.orderhub.subscriber.record"
    assert kwargs["order_id"] == order.pk


def test_rolled_back_change_announces_nothing(settings, django_capture_on_commit_callbacks):
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"order.shipped": ["tests.orderhub.subscriber.record"]}
    order = make_order(status="completed")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidTransition):
        order_transition(order_id=order.pk, to_status="shipped", actor=SYSTEM, reason="late")

    assert callbacks == []


def test_cancel_closes_open_holds():
    order = make_order(status="paid")
    hold_place(order=order, kind="risk", reason="too many orders", actor=SYSTEM)

    order_cancel(order_id=order.pk, actor=SYSTEM, reason="fraud")

    assert not order.holds.filter(status="open").exists()
    assert {hold.resolution for hold in order.holds.all()} == {"auto"}


def test_mark_priority_records_once():
    order = make_order()

    order_mark_priority(order_id=order.pk, actor=SYSTEM, reason="VIP")
    order_mark_priority(order_id=order.pk, actor=SYSTEM, reason="VIP again")

    order.refresh_from_db()
    assert order.is_priority
    assert order.events.filter(type="priority_changed").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_serialize_on_the_order_row():
    """Two workers race: one ships, one cancels. Exactly one wins; the loser sees the winner's status."""
    order = make_order(status="paid")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(target):
        barrier.wait()
        try:
            order_transition(order_id=order.pk, to_status=target, actor=SYSTEM, reason="race")
            outcomes[target] = "ok"
        except InvalidTransition:
            outcomes[target] = "refused"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(t,)) for t in ("completed", "cancelled")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    order.refresh_from_db()
    assert sorted(outcomes.values()) == ["ok", "refused"]
    winner = next(t for t, result in outcomes.items() if result == "ok")
    assert order.status == winner
    changes = list(order.events.filter(type="status_changed").values_list("parameters", flat=True))
    assert [c["to_status"] for c in changes] == [winner]
