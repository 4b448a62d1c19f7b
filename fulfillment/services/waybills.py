"""E-waybills: issue one per order (Cainiao through TOP or PDD's), update its address in place, void it
with a reason, reprint its label. The provider is called outside the database transaction; the row is
written under the order's lock, and a cancellation reaches the provider after commit (retried)."""

from __future__ import annotations

import logging
from functools import partial

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from channels_sync.carriers.base import Address, CarrierError, WaybillItem, WaybillRequest
from channels_sync.carriers.gateway import order_channels_type, waybills_for
from channels_sync.platforms.http import http_client
from fulfillment.exceptions import CarrierFailed, WarehouseRefused
from fulfillment.locks_warehouse import lock_active_waybills, lock_waybill
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.models_warehouse import Waybill, WaybillProvider, WaybillStatus
from fulfillment.warehouse_events import (
    waybill_issued_event,
    waybill_printed_event,
    waybill_updated_event,
    waybill_voided_event,
)
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.locks import lock_order
from orderhub.models import Hold, HoldStatus, Order, OrderLine, OrderLineSku
from orderhub.status import OrderStatus

logger = logging.getLogger(__name__)
HTTP_TIMEOUT = 15


def _http() -> httpx.Client:
    return http_client(timeout=HTTP_TIMEOUT)


def receiver_of(order: Order) -> Address:
    return Address(
        name=order.receiver_name,
        mobile=order.receiver_phone,
        province=order.receiver_province,
        city=order.receiver_city,
        district=order.receiver_district,
        detail=order.receiver_detail,
    )


def receiver_of_waybill(waybill: Waybill) -> Address:
    return Address(
        name=waybill.receiver_name,
        mobile=waybill.receiver_phone,
        province=waybill.receiver_province,
        city=waybill.receiver_city,
        district=waybill.receiver_district,
        detail=waybill.receiver_detail,
    )


def sender_of(warehouse) -> dict:
    return {
        "name": warehouse.contact_name or warehouse.name,
        "mobile": warehouse.contact_phone or "",
        "province": warehouse.province,
        "city": warehouse.city,
        "district": warehouse.district,
        "detail": warehouse.address,
    }


def gift_note_of(order_id: int) -> str:
    titles = OrderLine.objects.filter(order_id=order_id, is_gift=True).values_list("title", "quantity")
    notes = [title if "赠" in title else f"赠品:{title}×{quantity}" for title, quantity in titles]
    return "; ".join(notes)[:200]


def _items(order_id: int) -> list[WaybillItem]:
    rows = OrderLineSku.objects.filter(line__order_id=order_id).select_related("sku").order_by("pk")
    return [WaybillItem(name=row.sku.name[:60], count=row.quantity) for row in rows]


def _ready_for_waybill(order: Order) -> OrderFulfillment:
    if order.status != OrderStatus.PAID:
        raise WarehouseRefused(
            _("Order %(order)s is %(status)s, not paid.") % {"order": order, "status": order.status}
        )
    hold = Hold.objects.filter(order=order, status=HoldStatus.OPEN).order_by("pk").first()
    if hold is not None:
        raise WarehouseRefused(
            _("Order %(order)s is on hold: %(reason)s") % {"order": order, "reason": hold.reason}
        )
    fulfillment = OrderFulfillment.objects.select_related("warehouse", "carrier").filter(order=order).first()
    if fulfillment is None or fulfillment.state != FulfillmentState.ALLOCATED:
        raise WarehouseRefused(_("Order %(order)s has no allocated stock yet.") % {"order": order})
    if fulfillment.carrier is None or fulfillment.warehouse is None:
        raise WarehouseRefused(_("Order %(order)s has no carrier or warehouse chosen.") % {"order": order})
    return fulfillment


def waybill_issue(*, order_id: int, actor: Actor, http: httpx.Client | None = None) -> Waybill:
    """The order's active waybill, issued now if it has none. Refuses held, unallocated or unpaid orders."""
    order = Order.objects.select_related("shop").get(pk=order_id)
    existing = (
        Waybill.objects.filter(order=order, status=WaybillStatus.ACTIVE).select_related("carrier").first()
    )
    if existing is not None:
        return existing
    fulfillment = _ready_for_waybill(order)
    carrier, warehouse = fulfillment.carrier, fulfillment.warehouse
    sender = sender_of(warehouse)
    attempt = Waybill.objects.filter(order=order).count() + 1
    request = WaybillRequest(
        object_id=f"{order.pk}-{attempt}",
        cp_code=carrier.code.upper(),
        order_channels_type=order_channels_type(order.shop.platform),
        trade_order_ids=[order.platform_order_id],
        sender=Address(**sender),
        recipient=receiver_of(order),
        items=_items(order.pk),
        weight_g=sum(
            row.quantity * row.sku.weight_g
            for row in OrderLineSku.objects.filter(line__order=order).select_related("sku")
        ),
    )
    client_http = http or _http()
    try:
        provider = waybills_for(order.shop, client_http)
        issued = provider.issue(request)
    except CarrierError as exc:
        raise CarrierFailed(
            _("The e-waybill for %(order)s was not issued: %(error)s") % {"order": order, "error": exc},
            details={"code": exc.code},
        ) from exc
    finally:
        if http is None:
            client_http.close()
    with transaction.atomic():
        order = lock_order(order.pk)
        raced = lock_active_waybills(order.pk)
        if raced:  # another issue won meanwhile: keep it, give our number back
            transaction.on_commit(
                partial(async_task, "fulfillment.tasks_warehouse.waybill_number_cancel",
                        shop_id=order.shop_id, cp_code=carrier.code.upper(), number=issued.waybill_code)
            )  # fmt: skip
            return raced[0]
        waybill = Waybill.objects.create(
            order=order,
            carrier=carrier,
            provider=WaybillProvider.PDD if provider.provider == "pdd" else WaybillProvider.CAINIAO,
            number=issued.waybill_code,
            print_data=issued.print_data,
            receiver_name=order.receiver_name,
            receiver_phone=order.receiver_phone,
            receiver_province=order.receiver_province,
            receiver_city=order.receiver_city,
            receiver_district=order.receiver_district,
            receiver_detail=order.receiver_detail,
            sender=sender,
            gift_note=gift_note_of(order.pk),
        )
        waybill_issued_event(
            order=order, actor=actor, carrier=carrier.code, number=waybill.number, provider=waybill.provider
        )
    return waybill


def waybill_void(*, waybill: Waybill, reason: str, actor: Actor) -> Waybill:
    """Voids the waybill (idempotent) and cancels its number at the provider after commit.

    Refused once the parcel has shipped: the number is on a parcel the carrier already has.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is needed to void a waybill."))
    with transaction.atomic():
        order = lock_order(waybill.order_id)
        waybill = lock_waybill(waybill.pk)
        if waybill.status == WaybillStatus.VOIDED:
            return waybill
        if waybill.writebacks.exists() or order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
            raise WarehouseRefused(
                _("Waybill %(number)s has shipped and cannot be voided.") % {"number": waybill.number}
            )
        waybill.status = WaybillStatus.VOIDED
        waybill.void_reason = reason[:200]
        waybill.voided_at = timezone.now()
        waybill.voided_by_id = actor.user_id
        waybill.save(update_fields=["status", "void_reason", "voided_at", "voided_by", "updated_at"])
        waybill_voided_event(order=order, actor=actor, number=waybill.number, reason=waybill.void_reason)
        transaction.on_commit(
            partial(
                async_task, "fulfillment.tasks_warehouse.waybill_cancel_at_carrier", waybill_id=waybill.pk
            )
        )
    return waybill


def order_waybills_void(*, order: Order, reason: str, actor: Actor) -> list[Waybill]:
    """Voids every active waybill of the order (a refund intercept, a cancelled order)."""
    active = list(Waybill.objects.filter(order_id=order.pk, status=WaybillStatus.ACTIVE).order_by("pk"))
    return [waybill_void(waybill=waybill, reason=reason, actor=actor) for waybill in active]


def waybill_cancel_at_carrier(*, waybill_id: int, http: httpx.Client | None = None) -> bool:
    """Gives a voided number back to the provider; raises so the task is retried when the call fails."""
    waybill = Waybill.objects.select_related("order__shop", "carrier").get(pk=waybill_id)
    if waybill.status != WaybillStatus.VOIDED:
        return False
    return waybill_number_cancel(shop=waybill.order.shop, cp_code=waybill.carrier.code.upper(),
                                 number=waybill.number, http=http)  # fmt: skip


def waybill_number_cancel(*, shop, cp_code: str, number: str, http: httpx.Client | None = None) -> bool:
    client_http = http or _http()
    try:
        waybills_for(shop, client_http).cancel(cp_code=cp_code, waybill_code=number)
    except CarrierError as exc:
        if exc.code == "cancel_refused":  # unknown or already cancelled at the provider: nothing to give back
            logger.warning("waybill %s: provider did not cancel (%s)", number, exc)
            return False
        raise
    finally:
        if http is None:
            client_http.close()
    return True


def waybill_address_update(*, waybill: Waybill, actor: Actor, http: httpx.Client | None = None) -> Waybill:
    """Carries the order's current street / door detail onto the waybill, at the provider and here."""
    order = Order.objects.select_related("shop").get(pk=waybill.order_id)
    recipient = receiver_of(order)
    client_http = http or _http()
    try:
        print_data = waybills_for(order.shop, client_http).update(
            cp_code=waybill.carrier.code.upper(), waybill_code=waybill.number, recipient=recipient
        )
    except CarrierError as exc:
        raise CarrierFailed(
            _("Waybill %(number)s was not updated: %(error)s") % {"number": waybill.number, "error": exc}
        ) from exc
    finally:
        if http is None:
            client_http.close()
    with transaction.atomic():
        order = lock_order(order.pk)
        waybill = lock_waybill(waybill.pk)
        changed = [
            name
            for name in ("receiver_name", "receiver_phone", "receiver_detail")
            if getattr(waybill, name) != getattr(order, name)
        ]
        for name in changed:
            setattr(waybill, name, getattr(order, name))
        if print_data:
            waybill.print_data = {**waybill.print_data, **print_data}
        waybill.save()
        waybill_updated_event(order=order, actor=actor, number=waybill.number, changed=changed)
    return waybill


def waybill_printed(*, waybill: Waybill, actor: Actor) -> Waybill:
    """Counts a (re)print of the label; voided waybills are not printed."""
    with transaction.atomic():
        order = lock_order(waybill.order_id)
        waybill = lock_waybill(waybill.pk)
        if waybill.status != WaybillStatus.ACTIVE:
            raise WarehouseRefused(
                _("Waybill %(number)s is voided (%(reason)s).")
                % {"number": waybill.number, "reason": waybill.void_reason}
            )
        waybill.printed_count += 1
        waybill.save(update_fields=["printed_count", "updated_at"])
        waybill_printed_event(order=order, actor=actor, number=waybill.number, times=waybill.printed_count)
    return waybill
