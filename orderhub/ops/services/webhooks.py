"""Outbound webhooks: domain events to the seller's other systems, signed, retried with backoff, logged.

Each delivery is a row (the log): the signed JSON is POSTed; a 2xx answer delivers it, anything else
schedules the next attempt with exponential backoff (30 s, 1 min, 2 min ... at most 6 h) until
MAX_ATTEMPTS, then it is failed. Any delivery can be replayed from the console (a new row, same payload).

Receivers verify `X-OrderHub-Signature: sha256=<hex>` = HMAC-SHA256(secret, "<X-OrderHub-Timestamp>.<body>").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta
from functools import partial

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from orderhub.exceptions import InvalidInput, NotFound
from orderhub.models import Order
from orderhub.ops.locks import lock_delivery
from orderhub.ops.models import DeliveryStatus, EventCursor, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

EVENTS = (
    "order.paid",
    "order.held",
    "order.shipped",
    "order.delivered",
    "order.completed",
    "order.cancelled",
    "refund.changed",
    "stock.low",
)
MAX_ATTEMPTS = 8
FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10


def backoff_seconds(attempts: int) -> int:
    return min(FIRST_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def order_data(*, order_id: int, **ids) -> dict:
    """What other systems need of an order; never the buyer's name, phone or address."""
    order = Order.objects.select_related("shop").filter(pk=order_id).first()
    if order is None:
        return {"order_id": order_id, "missing": True, **ids}
    return {
        "order_id": order.pk,
        "platform": order.shop.platform,
        "shop": order.shop.code,
        "platform_order_id": order.platform_order_id,
        "status": order.status,
        "platform_status": order.raw_status,
        "currency": order.currency,
        "paid_amount": str(order.paid_amount),
        "paid_at": order.platform_paid_at,
        "tracking_number": order.tracking_number,
        "updated_at": order.updated_at,
        **ids,
    }


def payload_data(event: str, ids: dict) -> dict:
    """The event's data: settings.OPS_WEBHOOK_PAYLOADS may name a builder per event (the project wiring
    does for refunds and stock, which this core-level app cannot read); order events carry the order."""
    builders = getattr(settings, "OPS_WEBHOOK_PAYLOADS", {})
    if event in builders:
        return import_string(builders[event])(**ids)
    if "order_id" in ids:
        return order_data(**ids)
    return dict(ids)


_subscribed_cache: dict[str, tuple[float, list[int]]] = {}
SUBSCRIBED_CACHE_SECONDS = 10


def _subscribed(event: str) -> list[WebhookSubscription]:
    """Active subscriptions to the event. Whether there are any is cached for a few seconds, so at peak
    a paid order costs no query when nobody subscribed."""
    cached = _subscribed_cache.get(event)
    if cached is not None and cached[0] > time.monotonic() and not cached[1]:
        return []
    subscriptions = [s for s in WebhookSubscription.objects.filter(active=True) if event in (s.events or [])]
    _subscribed_cache[event] = (time.monotonic() + SUBSCRIBED_CACHE_SECONDS, [s.pk for s in subscriptions])
    return subscriptions


def webhook_event_record(*, event: str, ids: dict) -> list[WebhookDelivery]:
    """One delivery per active subscription to the event; each is sent after commit."""
    return webhook_events_record(event=event, calls=[ids])


def webhook_events_record(*, event: str, calls: list[dict]) -> list[WebhookDelivery]:
    subscriptions = _subscribed(event)
    if not subscriptions:
        return []
    now = timezone.now()
    bodies = [
        json.loads(
            json.dumps(
                {"event": event, "occurred_at": now, "data": payload_data(event, ids)}, cls=DjangoJSONEncoder
            )
        )
        for ids in calls
    ]
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(subscription=s, event=event, payload=b) for b in bodies for s in subscriptions]
        )
        for delivery in deliveries:
            _enqueue(delivery.pk)
    return deliveries


def holds_announce(*, limit: int = 5000) -> int:
    """Announces "order.held" for holds placed since the last call (holds are also placed in bulk by
    ingestion, so a cursor over their ids catches every one)."""
    from orderhub.dispatch import announce
    from orderhub.models import Hold

    with transaction.atomic():
        cursor = EventCursor.objects.select_for_update().filter(name="order.held").first()
        if cursor is None:
            # First run: start from now rather than announcing every hold ever placed.
            latest = Hold.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            EventCursor.objects.create(name="order.held", last_id=latest)
            return 0
        holds = list(
            Hold.objects.filter(pk__gt=cursor.last_id)
            .order_by("pk")
            .values_list("pk", "order_id", "kind")[:limit]
        )
        for hold_id, order_id, kind in holds:
            announce("order.held", order_id=order_id, hold_id=hold_id, hold_kind=kind)
        if holds:
            cursor.last_id = holds[-1][0]
            cursor.save(update_fields=["last_id"])
    return len(holds)


def _enqueue(delivery_id: int) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(
        partial(
            async_task, "orderhub.ops.tasks.webhook_deliver", delivery_id=delivery_id, task_name="webhook"
        )
    )


def webhook_deliver(*, delivery_id: int, http: httpx.Client | None = None, now: datetime | None = None):
    """One attempt. Claimed under a row lock (so two workers never send the same attempt), sent outside it."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = lock_delivery(delivery_id)
        if delivery is None:
            raise NotFound(f"webhook delivery {delivery_id} does not exist")
        if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return delivery
        subscription = delivery.subscription
        delivery.attempts += 1
        # Claimed: while this attempt runs, the retry sweep leaves the row alone.
        delivery.next_attempt_at = now + timedelta(seconds=TIMEOUT_SECONDS * 3)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "OrderHub-Webhooks/1",
        "X-OrderHub-Event": delivery.event,
        "X-OrderHub-Delivery": str(delivery.pk),
        "X-OrderHub-Timestamp": timestamp,
        "X-OrderHub-Signature": sign(subscription.secret, timestamp, body),
    }
    status, text, error = None, "", ""
    try:
        if http is None:
            response = httpx.post(subscription.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        else:
            response = http.post(subscription.url, content=body, headers=headers)
        status, text = response.status_code, response.text[:1000]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    delivery.response_status = status
    delivery.response_body = text
    if status is not None and 200 <= status < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        delivery.last_error = error or f"HTTP {status}"
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save(
        update_fields=[
            "status",
            "response_status",
            "response_body",
            "last_error",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def webhooks_retry_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queues the deliveries whose backoff has passed (run every minute by the ops tick)."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    with transaction.atomic():
        for pk in ids:
            _enqueue(pk)
    return len(ids)


def webhook_replay(*, delivery_id: int) -> WebhookDelivery:
    """Sends a logged delivery again as a new delivery with the same payload (the old row stays)."""
    original = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if original is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    if not original.subscription.active:
        raise InvalidInput(f"subscription {original.subscription} is inactive")
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            subscription=original.subscription, event=original.event, payload=original.payload
        )
        _enqueue(replay.pk)
    return replay


def subscription_validate(*, url: str, events: list) -> None:
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise InvalidInput("events must be a list of event names")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise InvalidInput(f"unknown events {', '.join(unknown)}; known: {', '.join(EVENTS)}")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("the URL must start with http:// or https://")
