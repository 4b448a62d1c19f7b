"""Address changes after payment (announced by order upsert as "order.address_changed"): the rule in
rules/address_change.py picks the path; this service carries it out and records it."""

from __future__ import annotations

import httpx
from django.db import transaction
from django.utils import timezone

from fulfillment.exceptions import CarrierFailed, WarehouseRefused
from fulfillment.models import FulfillmentSettings
from fulfillment.models_warehouse import Parcel, ParcelStatus, Repickup, Waybill, WaybillStatus
from fulfillment.rules.address_change import (
    HOLD,
    NONE,
    REISSUE,
    UPDATE_IN_PLACE,
    AddressChangeDecision,
    AddressChangeFacts,
    AddressParts,
    decide_address_change,
)
from fulfillment.services.waybills import waybill_address_update, waybill_issue, waybill_void
from fulfillment.warehouse_events import address_change_event
from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.models import Order
from orderhub.services.holds import hold_place
from orderhub.status import HoldKind, OrderStatus


def _parts(source) -> AddressParts:
    return AddressParts(
        name=source.receiver_name,
        phone=source.receiver_phone,
        province=source.receiver_province,
        city=source.receiver_city,
        district=source.receiver_district,
        detail=source.receiver_detail,
    )


def address_change_decide(order: Order, *, now=None) -> tuple[AddressChangeDecision, Waybill | None]:
    waybill = (
        Waybill.objects.filter(order=order, status=WaybillStatus.ACTIVE).select_related("carrier").first()
    )
    parcel = Parcel.objects.filter(order=order).first()
    packed = parcel is not None and parcel.status in (
        ParcelStatus.PACKED,
        ParcelStatus.SHIPPED,
        ParcelStatus.DELIVERED,
    )
    facts = AddressChangeFacts(
        paid_at=order.platform_paid_at,
        now=now or timezone.now(),
        window_minutes=FulfillmentSettings.current().address_change_window_minutes,
        packed=packed,
        shipped=order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED),
        waybill_address=_parts(waybill) if waybill else None,
        current=_parts(order),
    )
    return decide_address_change(facts), waybill


def _redo_waybill(
    order: Order, waybill: Waybill, decision: AddressChangeDecision, actor: Actor, http
) -> None:
    if decision.path == UPDATE_IN_PLACE:
        waybill_address_update(waybill=waybill, actor=actor, http=http)
        return
    # One active waybill per order: the old one goes first. Should the provider then refuse a new number,
    # the order simply has none (the pack station issues one) and the hold below tells a person.
    waybill_void(waybill=waybill, reason="address changed to another city or district", actor=actor)
    new = waybill_issue(order_id=order.pk, actor=actor, http=http)
    Repickup.objects.create(
        order=order,
        old_waybill=waybill,
        new_waybill=new,
        reason=f"address changed: {', '.join(decision.changed)}",
    )


def order_address_change(*, order_id: int, actor: Actor, http: httpx.Client | None = None, now=None) -> str:
    """Applies the order's current address to its parcel by the rule's path; returns the path taken."""
    order = Order.objects.select_related("shop").get(pk=order_id)
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        return NONE  # before payment the decisions read the new address; after the end nothing ships
    decision, waybill = address_change_decide(order, now=now)
    if decision.path == NONE:
        return NONE
    if decision.path in (UPDATE_IN_PLACE, REISSUE):
        try:
            _redo_waybill(order, waybill, decision, actor, http)
        except (CarrierFailed, WarehouseRefused) as exc:  # a person takes it from here
            decision = AddressChangeDecision(
                HOLD, f"the waybill could not follow: {exc.message}", decision.changed
            )
    if decision.path == HOLD:
        with transaction.atomic():
            order = lock_order(order.pk)
            hold_place(
                order=order,
                kind=HoldKind.ADDRESS_CHANGE,
                reason=f"address changed after payment: {decision.reason}",
                actor=actor,
                details={"changed": list(decision.changed)},
            )
            address_change_event(
                order=order, actor=actor, path=HOLD, reason=decision.reason, changed=list(decision.changed)
            )
        return HOLD
    with transaction.atomic():
        address_change_event(
            order=lock_order(order.pk),
            actor=actor,
            path=decision.path,
            reason=decision.reason,
            changed=list(decision.changed),
        )
    return decision.path


def repickup_done(*, repickup_id: int, actor: Actor) -> Repickup:
    """The carrier picked the parcel up again with its new label."""
    with transaction.atomic():
        repickup = Repickup.objects.select_for_update().get(pk=repickup_id)
        if repickup.status != "done":
            repickup.status, repickup.done_at = "done", timezone.now()
            repickup.save(update_fields=["status", "done_at"])
            address_change_event(
                order=lock_order(repickup.order_id),
                actor=actor,
                path="repickup_done",
                reason="picked up again",
                changed=[],
            )
    return repickup
