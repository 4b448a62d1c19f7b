"""Outbound webhooks: signed JSON, retries with backoff, the delivery log and replay."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from orderhub.exceptions import InvalidInput
from orderhub.ops import tasks
from orderhub.ops.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from orderhub.ops.services import webhooks
from orderhub.ops.services.webhooks import (
    holds_announce,
    subscription_validate,
    webhook_deliver,
    webhook_event_record,
    webhook_replay,
    webhooks_retry_due,
)
from tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_subscription_cache():
    webhooks._subscribed_cache.clear()
    yield
    webhooks._subscribed_cache.clear()


@pytest.fixture
def erp(robot):
    return WebhookSubscription.objects.create(
        name="ERP", url=f"{robot.url}/erp/hook", secret="erp-secret", events=["order.paid", "order.held"]
    )


def test_paid_order_is_posted_signed_without_personal_data(robot, erp):
    order = make_order(order_id="T-9001")
    # when the order.paid subscriber runs (as the dispatcher calls it) and the delivery is sent
    assert tasks.on_order_paid(order_id=order.pk) == 1
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk).status == DeliveryStatus.DELIVERED
    # then the ERP got signed JSON about the order, and no name, phone or address
    request = robot.requests[0]
    headers = request["headers"]
    expected = hmac.new(
        b"erp-secret", headers["X-OrderHub-Timestamp"].encode() + b"." + request["body"], hashlib.sha256
    )
    assert headers["X-OrderHub-Signature"] == f"sha256={expected.hexdigest()}"
    assert headers["X-OrderHub-Event"] == "order.paid"
    body = json.loads(request["body"])
    assert body["event"] == "order.paid"
    assert body["data"]["platform_order_id"] == "T-9001"
    assert body["data"]["paid_amount"] == str(order.paid_amount)
    text = request["body"].decode()
    assert "13812341234" not in text and "张三" not in text and "文三路" not in text


def test_batch_form_records_one_delivery_per_call(erp):
    orders = [make_order() for _ in range(3)]
    assert tasks.on_order_paid.batch([{"order_id": o.pk} for o in orders]) == 3
    assert WebhookDelivery.objects.filter(event="order.paid").count() == 3


def test_unsubscribed_event_records_nothing(erp):
    order = make_order()
    assert tasks.on_order_shipped(order_id=order.pk) == 0
    assert not WebhookDelivery.objects.exists()


def test_failures_back_off_then_fail_and_replay_delivers(robot, erp):
    order = make_order()
    (delivery,) = webhook_event_record(event="order.paid", ids={"order_id": order.pk})
    now = timezone.now()
    robot.answers.extend([(500, {"error": "down"})] * webhooks.MAX_ATTEMPTS)
    # first failure: retrying in 30 s
    d = webhook_deliver(delivery_id=delivery.pk, now=now)
    assert (d.status, d.attempts, d.response_status) == (DeliveryStatus.RETRYING, 1, 500)
    assert d.next_attempt_at == now + timedelta(seconds=30)
    assert webhooks_retry_due(now=now + timedelta(seconds=29)) == 0
    assert webhooks_retry_due(now=now + timedelta(seconds=30)) == 1
    # second failure: 60 s; the backoff doubles up to the cap
    d = webhook_deliver(delivery_id=delivery.pk, now=now)
    assert d.next_attempt_at == now + timedelta(seconds=60)
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 20)] == [30, 60, 120, 6 * 3600]
    for _ in range(webhooks.MAX_ATTEMPTS - 2):
        d = webhook_deliver(delivery_id=delivery.pk, now=now)
    assert d.status == DeliveryStatus.FAILED and d.attempts == webhooks.MAX_ATTEMPTS
    # a failed delivery is not sent again by itself; a replay from the console is
    assert webhook_deliver(delivery_id=delivery.pk).attempts == webhooks.MAX_ATTEMPTS
    replay = webhook_replay(delivery_id=delivery.pk)
    assert replay.pk != delivery.pk and replay.payload == delivery.payload
    assert webhook_deliver(delivery_id=replay.pk).status == DeliveryStatus.DELIVERED
    assert json.loads(robot.requests[-1]["body"]) == delivery.payload


def test_unreachable_receiver_is_retried(erp):
    erp.url = "http://127.0.0.1:9/nothing-listens"
    erp.save()
    order = make_order()
    (delivery,) = webhook_event_record(event="order.paid", ids={"order_id": order.pk})
    d = webhook_deliver(delivery_id=delivery.pk)
    assert d.status == DeliveryStatus.RETRYING and "ConnectError" in d.last_error


def test_holds_are_announced_as_order_held(erp, django_capture_on_commit_callbacks, settings):
    from orderhub.events import Actor
    from orderhub.services.holds import hold_place

    assert holds_announce() == 0  # the first run only sets the cursor
    from orderhub.models import Hold

    order = make_order()  # its unmapped line may put a hold of its own
    hold_place(order=order, kind="manual", reason="check", actor=Actor.system("test"))
    placed = Hold.objects.filter(order=order).count()
    assert placed >= 1
    with django_capture_on_commit_callbacks() as callbacks:
        assert holds_announce() == placed
    assert len(callbacks) == placed * len(settings.DOMAIN_EVENT_SUBSCRIBERS["order.held"])
    assert holds_announce() == 0


def test_subscription_validation():
    subscription_validate(url="https://erp.example.com/hook", events=["order.paid", "stock.low"])
    with pytest.raises(InvalidInput):
        subscription_validate(url="https://erp.example.com/hook", events=["order.exploded"])
    with pytest.raises(InvalidInput):
        subscription_validate(url="ftp://erp", events=["order.paid"])
