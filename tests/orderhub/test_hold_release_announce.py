"""The core announces "order.released" when an order's last open hold is resolved, and only then."""

import pytest

from orderhub import dispatch
from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.services.holds import hold_place, hold_resolve, holds_resolve_for_order
from tests.factories import make_order, make_sku

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def released(settings, monkeypatch):
    """Order ids announced as released, once the transaction commits."""
    settings.DOMAIN_EVENT_SUBSCRIBERS = {"order.released": ["tests.orderhub.subscriber.record"]}
    queued = []
    monkeypatch.setattr(dispatch, "async_task", lambda func, **kwargs: queued.append(kwargs["order_id"]))
    return queued


def test_resolving_the_last_open_hold_announces_the_release(released, django_capture_on_commit_callbacks):
    # given an order whose lines map (no unmapped-SKU hold) with two open holds
    make_sku(code="SKU-A")
    order = make_order(status="paid")
    risk = hold_place(order=order, kind="risk", reason="test", actor=SYSTEM)
    address = hold_place(order=order, kind="address", reason="test", actor=SYSTEM)

    # when the first is approved, nothing is announced; when the last is, the release is
    with django_capture_on_commit_callbacks(execute=True):
        hold_resolve(hold_id=risk.pk, actor=SYSTEM, resolution="approve")
    assert released == []
    with django_capture_on_commit_callbacks(execute=True):
        hold_resolve(hold_id=address.pk, actor=SYSTEM, resolution="approve")
        assert released == []  # only after the commit

    # then
    assert released == [order.pk]


def test_holds_closed_automatically_announce_the_release_too(released, django_capture_on_commit_callbacks):
    order = make_order(status="paid")
    hold_place(order=order, kind="unmapped_sku", reason="test", actor=SYSTEM)

    with django_capture_on_commit_callbacks(execute=True):
        holds_resolve_for_order(
            order=lock_order(order.pk), kinds={"unmapped_sku"}, actor=SYSTEM, note="all lines mapped"
        )

    assert released == [order.pk]


def test_nothing_resolved_announces_nothing(released, django_capture_on_commit_callbacks):
    order = make_order(status="paid")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        holds_resolve_for_order(order=lock_order(order.pk), kinds={"risk"}, actor=SYSTEM, note="-")

    assert callbacks == [] and released == []
