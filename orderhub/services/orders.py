from django.db import transaction

from orderhub.dispatch import announce
from orderhub.events import (
    Actor,
    order_address_edited_event,
    order_priority_changed_event,
    order_status_changed_event,
)
from orderhub.exceptions import InvalidInput, InvalidTransition
from orderhub.locks import lock_order
from orderhub.models import Order
from orderhub.services.holds import holds_resolve_for_order
from orderhub.status import STATUS_ANNOUNCEMENTS, HoldKind, HoldResolution, OrderStatus, transition_allowed


def apply_status(*, order: Order, to_status: str, actor: Actor, reason: str, raw_status: str | None = None):
    """Moves a locked order to a new status, writes the event and announces it after commit."""
    if not transition_allowed(order.status, to_status):
        raise InvalidTransition(
            f"order {order} cannot go from {order.status} to {to_status}",
            details={"from": order.status, "to": to_status},
        )
    from_status = order.status
    order.status = to_status
    if raw_status is not None:
        order.raw_status = raw_status
    order.save(update_fields=["status", "raw_status", "updated_at"])
    order_status_changed_event(
        order=order,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        raw_status=order.raw_status,
        reason=reason,
    )
    if to_status in STATUS_ANNOUNCEMENTS:
        announce(STATUS_ANNOUNCEMENTS[to_status], order_id=order.pk)


def order_transition(
    *, order_id: int, to_status: str, actor: Actor, reason: str, raw_status: str | None = None
) -> Order:
    """The one way to change an order's status: lock, check the transition table inside the lock, record."""
    with transaction.atomic():
        order = lock_order(order_id)
        apply_status(order=order, to_status=to_status, actor=actor, reason=reason, raw_status=raw_status)
    return order


def order_cancel(*, order_id: int, actor: Actor, reason: str) -> Order:
    with transaction.atomic():
        order = lock_order(order_id)
        apply_status(order=order, to_status=OrderStatus.CANCELLED, actor=actor, reason=reason)
        holds_resolve_for_order(
            order=order, kinds=set(HoldKind.values), actor=actor, note=f"{HoldResolution.CANCEL}: {reason}"
        )
    return order


def order_mark_priority(*, order_id: int, actor: Actor, is_priority: bool = True, reason: str = "") -> Order:
    with transaction.atomic():
        order = lock_order(order_id)
        if order.is_priority != is_priority:
            order.is_priority = is_priority
            order.save(update_fields=["is_priority", "updated_at"])
            order_priority_changed_event(order=order, actor=actor, is_priority=is_priority, reason=reason)
    return order


ADDRESS_EDITABLE = {OrderStatus.PENDING_PAYMENT, OrderStatus.PAID}


def order_address_edit(
    *, order_id: int, actor: Actor, province: str, city: str, district: str, detail: str, note: str = ""
) -> Order:
    """Corrects the receiver's address before shipping and releases the address hold it answers."""
    values = {
        "receiver_province": province.strip(),
        "receiver_city": city.strip(),
        "receiver_district": district.strip(),
        "receiver_detail": detail.strip(),
    }
    if not all(values.values()):
        raise InvalidInput("province, city, district and street address are all required")
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status not in ADDRESS_EDITABLE:
            raise InvalidTransition(
                f"order {order} is {order.status}; its address can no longer be edited here"
            )
        changed = [name for name, value in values.items() if getattr(order, name) != value]
        for name in changed:
            setattr(order, name, values[name])
        order.save(update_fields=[*changed, "updated_at"])
        # The event names what changed and the new region, never the street or door.
        order_address_edited_event(
            order=order,
            actor=actor,
            changed_fields=changed,
            region=[values["receiver_province"], values["receiver_city"], values["receiver_district"]],
            note=note,
        )
        holds_resolve_for_order(
            order=order,
            kinds={HoldKind.ADDRESS},
            actor=actor,
            note=note or "address corrected",
            resolution=HoldResolution.EDIT_ADDRESS,
        )
    return order
