"""Tracking: poll the provider (Kuaidi100 or KDNiao) for shipped parcels, or take Kuaidi100's callback;
record collected (揽收) and delivered (签收) times; delivered → the order is completed. An order shipped
without a tracking number for N minutes is back-filled from its waybill or raised as a hold."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from channels_sync.carriers.base import CarrierError, TrackingResult
from channels_sync.carriers.gateway import kuaidi100_callback_salt, tracking_provider
from channels_sync.carriers.tracking import kuaidi100_callback_verify, kuaidi100_result
from channels_sync.platforms.http import http_client
from fulfillment.locks_warehouse import lock_parcel
from fulfillment.models import FulfillmentSettings
from fulfillment.models_warehouse import (
    Parcel,
    ParcelStatus,
    ShipWriteBack,
    TrackingEvent,
    Waybill,
    WaybillStatus,
)
from fulfillment.services.cycle import parcel_ensure, stamp
from fulfillment.warehouse_events import tracking_event
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.locks import lock_order
from orderhub.models import Order, OrderEvent
from orderhub.services.holds import hold_place
from orderhub.services.orders import apply_status
from orderhub.status import HoldKind, OrderStatus

logger = logging.getLogger(__name__)
ACTOR = Actor.system("tracking")


def tracking_apply(*, waybill: Waybill, result: TrackingResult, source: str) -> list[str]:
    """Stores the traces and stamps collected / delivered; returns the stages newly reached."""
    if not result.found or not result.traces:
        return []
    kinds = []
    collected_at = result.traces[0].occurred_at
    delivered_at = result.traces[-1].occurred_at if result.kind == "delivered" else None
    for n in range(len(result.traces)):
        if delivered_at and n == len(result.traces) - 1:
            kinds.append("delivered")
        elif n == 0:
            kinds.append("collected")
        else:
            kinds.append(
                "problem" if result.kind == "problem" and n == len(result.traces) - 1 else "in_transit"
            )
    reached = []
    with transaction.atomic():
        order = lock_order(waybill.order_id)
        parcel_ensure(order.pk)
        parcel = lock_parcel(order.pk)
        TrackingEvent.objects.bulk_create(
            [
                TrackingEvent(
                    waybill=waybill,
                    occurred_at=trace.occurred_at,
                    kind=kind,
                    description=trace.description,
                    source=source,
                )
                for trace, kind in zip(result.traces, kinds, strict=True)
            ],
            ignore_conflicts=True,
        )
        for stage, at in (("collected", collected_at), ("delivered", delivered_at)):
            if at is not None and stamp(parcel, stage, at):
                reached.append(stage)
                tracking_event(order=order, actor=ACTOR, number=waybill.number, kind=stage, at=at.isoformat())
        if "delivered" in reached:
            parcel.status = ParcelStatus.DELIVERED
            if order.status == OrderStatus.SHIPPED:
                apply_status(
                    order=order, to_status=OrderStatus.COMPLETED, actor=ACTOR, reason="delivered (签收)"
                )
        parcel.save()
    return reached


def _shipped_waybills(limit: int):
    """Active waybills of shipped parcels not yet delivered, least recently polled first."""
    return (
        Waybill.objects.filter(
            status=WaybillStatus.ACTIVE,
            order__parcel__status=ParcelStatus.SHIPPED,
            order__parcel__delivered_at__isnull=True,
        )
        .select_related("carrier", "order")
        .order_by("updated_at", "pk")[:limit]
    )


def tracking_poll(
    *, limit: int = 200, http: httpx.Client | None = None, provider_name: str | None = None
) -> dict:
    client_http = http or http_client(timeout=15)
    figures = {"polled": 0, "collected": 0, "delivered": 0, "errors": 0}
    try:
        provider = tracking_provider(client_http, provider_name)
        for waybill in _shipped_waybills(limit):
            figures["polled"] += 1
            try:
                result = provider.query(
                    carrier_code=waybill.carrier.code,
                    tracking_number=waybill.number,
                    phone=waybill.receiver_phone,
                )
            except CarrierError as exc:
                figures["errors"] += 1
                logger.warning("tracking %s %s failed: %s", provider.name, waybill.number, exc)
                continue
            for stage in tracking_apply(waybill=waybill, result=result, source=provider.name):
                figures[stage] += 1
            Waybill.objects.filter(pk=waybill.pk).update(updated_at=timezone.now())
    finally:
        if http is None:
            client_http.close()
    return figures


def kuaidi100_callback(*, param: str, sign: str) -> list[str]:
    """Kuaidi100's subscription push: verify the signature, read lastResult, apply it."""
    if not kuaidi100_callback_verify(param, sign, kuaidi100_callback_salt()):
        raise InvalidInput("Kuaidi100 callback signature does not match")
    try:
        body = json.loads(param)
        last = body["lastResult"]
        number = str(last["nu"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("Kuaidi100 callback param is not the documented JSON") from exc
    try:
        result = kuaidi100_result(last, number)
    except CarrierError as exc:
        raise InvalidInput(f"Kuaidi100 callback unreadable: {exc}") from exc
    waybill = (
        Waybill.objects.filter(number=number, status=WaybillStatus.ACTIVE).select_related("order").first()
    )
    if waybill is None:
        raise InvalidInput(f"no active waybill {number}")
    return tracking_apply(waybill=waybill, result=result, source="kuaidi100")


def tracking_missing_scan(*, now: datetime | None = None) -> dict:
    """Orders shipped longer than the setting's minutes without a tracking number: back-filled from the
    waybill we issued (and written back), or raised as a stuck-order hold."""
    now = now or timezone.now()
    minutes = FulfillmentSettings.current().tracking_missing_minutes
    # When the order became shipped: a status change, or it arrived already shipped.
    became_shipped = Q(type="status_changed", parameters__to_status=OrderStatus.SHIPPED) | Q(
        type="order_received", parameters__status=OrderStatus.SHIPPED
    )
    shipped_long_ago = OrderEvent.objects.filter(
        became_shipped, order_id=OuterRef("pk"), created_at__lte=now - timedelta(minutes=minutes)
    )
    missing = Order.objects.filter(status=OrderStatus.SHIPPED, tracking_number="").filter(
        Exists(shipped_long_ago)
    )
    figures = {"back_filled": 0, "raised": 0}
    for order_id in missing.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.tracking_number:
                continue
            waybill = Waybill.objects.filter(order=order, status=WaybillStatus.ACTIVE).first()
            if waybill is not None:
                order.tracking_number = waybill.number
                order.save(update_fields=["tracking_number", "updated_at"])
                ShipWriteBack.objects.get_or_create(
                    order=order, waybill=waybill, defaults={"next_attempt_at": now}
                )
                tracking_event(
                    order=order, actor=ACTOR, number=waybill.number, kind="back_filled", at=now.isoformat()
                )
                figures["back_filled"] += 1
                continue
            parcel = parcel_ensure(order.pk)
            if parcel.tracking_alerted_at is None:
                hold_place(
                    order=order,
                    kind=HoldKind.STUCK,
                    reason=f"shipped more than {minutes} minutes ago without a tracking number",
                    actor=ACTOR,
                )
                Parcel.objects.filter(pk=parcel.pk).update(tracking_alerted_at=now)
                figures["raised"] += 1
    return figures
