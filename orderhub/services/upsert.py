"""Idempotent order upsert: one order per shop + platform order id, whatever delivers it and in what order."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from orderhub import personal_data
from orderhub.bulk import bulk_insert
from orderhub.dispatch import announce, batched
from orderhub.events import (
    Actor,
    collected,
    order_amount_discrepancy_event,
    order_received_event,
    order_status_conflict_event,
    order_updated_event,
)
from orderhub.locks import lock_orders_by_platform_ids
from orderhub.models import Order, OrderLine, Shop
from orderhub.normalized import NormalizedOrder
from orderhub.services.holds import hold_place
from orderhub.services.lines import lines_map, order_lines_map
from orderhub.services.orders import apply_status
from orderhub.status import STATUS_ANNOUNCEMENTS, HoldKind, OrderStatus, transition_allowed

AMOUNT_FIELDS = ("goods_amount", "shipping_fee", "discount", "paid_amount")
# Raw payload keys under which platforms flag cash on delivery (JD "paymentType": "1" is COD).
_COD_FLAGS = ("is_cod", "cod", "isCod")
PRESALE_FIELDS = ("presale_deposit_paid_at", "presale_balance_due_at")
# Platform flags that stop an order for a person (PAID_FORBID_CONSIGN, JD LOCKED, Shopee IN_CANCEL).
BLOCKING_FLAGS = {"platform_blocked", "cancel_requested"}


@dataclass(frozen=True)
class UpsertOutcome:
    order_id: int
    result: str  # created | updated | unchanged | stale


def order_upsert(*, shop: Shop, incoming: NormalizedOrder, actor: Actor, raw_payload: dict) -> UpsertOutcome:
    return orders_upsert(shop=shop, items=[(incoming, raw_payload)], actor=actor)[0]


def orders_upsert(
    *, shop: Shop, items: list[tuple[NormalizedOrder, dict]], actor: Actor, attempts: int = 3
) -> list[UpsertOutcome]:
    """Upserts a batch of one shop's orders in one transaction; outcomes come in the order of `items`.

    New orders are inserted in bulk; known ones are updated one by one under their row lock. When a
    concurrent batch inserted one of the same orders first, the batch is retried and updates it instead.
    """
    for attempt in range(attempts):
        try:
            with transaction.atomic(), collected(), batched():
                return _upsert_locked(shop, items, actor)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _upsert_locked(shop: Shop, items, actor: Actor) -> list[UpsertOutcome]:
    ids = list(dict.fromkeys(incoming.platform_order_id for incoming, _ in items))
    known = {
        o.platform_order_id: o for o in lock_orders_by_platform_ids(shop_id=shop.pk, platform_order_ids=ids)
    }
    first_new = {}
    for index, (incoming, _) in enumerate(items):
        if incoming.platform_order_id not in known and incoming.platform_order_id not in first_new:
            first_new[incoming.platform_order_id] = index
    created = _create_many(shop, [items[i] for i in first_new.values()], actor)
    known |= {order.platform_order_id: order for order in created}
    outcomes = []
    for index, (incoming, raw_payload) in enumerate(items):
        order = known[incoming.platform_order_id]
        if first_new.get(incoming.platform_order_id) == index:
            outcomes.append(UpsertOutcome(order.pk, "created"))
        else:
            outcomes.append(UpsertOutcome(order.pk, _update(order, incoming, actor, raw_payload)))
    return outcomes


def _scalar_fields(incoming: NormalizedOrder) -> dict:
    receiver = incoming.receiver
    return {
        "raw_status": incoming.raw_status,
        "buyer_id": incoming.buyer_id,
        "receiver_name": receiver.name,
        "receiver_phone": receiver.phone,
        "receiver_phone_hash": personal_data.phone_lookup_hash(receiver.phone),
        "receiver_province": receiver.province,
        "receiver_city": receiver.city,
        "receiver_district": receiver.district,
        "receiver_detail": receiver.detail,
        "currency": incoming.currency,
        "platform_created_at": incoming.created_at,
        "platform_paid_at": incoming.paid_at,
        "platform_updated_at": incoming.updated_at,
        "buyer_remark": incoming.buyer_remark,
        "seller_remark": incoming.seller_remark,
        "presale_deposit_paid_at": incoming.deposit_paid_at,
        "presale_balance_due_at": incoming.balance_due_at,
    }


def cash_on_delivery(incoming: NormalizedOrder, raw_payload) -> bool:
    payload = raw_payload if isinstance(raw_payload, dict) else {}
    return (
        incoming.is_cod
        or "COD" in incoming.raw_status.upper()
        or any(bool(payload.get(key)) for key in _COD_FLAGS)
    )


def _announce_deposit(order: Order, deposit_was_paid: bool) -> None:
    """A presale deposit newly paid on an order still waiting for its balance: reserve its stock."""
    if order.status == OrderStatus.PENDING_PAYMENT and order.presale_deposit_paid_at and not deposit_was_paid:
        announce("order.deposit_paid", order_id=order.pk)


def _amounts(source) -> dict[str, Decimal]:
    return {name: Decimal(getattr(source, name)) for name in AMOUNT_FIELDS}


def _create_many(shop: Shop, items, actor: Actor) -> list[Order]:
    if not items:
        return []
    orders = bulk_insert(
        [
            Order(
                shop=shop,
                platform_order_id=incoming.platform_order_id,
                status=incoming.status,
                raw_payload=raw_payload,
                is_cod=cash_on_delivery(incoming, raw_payload),
                **_scalar_fields(incoming),
                **_amounts(incoming),
            )
            for incoming, raw_payload in items
        ]
    )
    lines = bulk_insert(
        _line(order, line)
        for order, (incoming, _) in zip(orders, items, strict=True)
        for line in incoming.lines
    )
    lines_by_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        lines_by_order.setdefault(line.order_id, []).append(line)
    for order in orders:
        order_received_event(order=order, actor=actor, source=actor.label)
    lines_map(
        shop_id=shop.pk, lines_by_order=[(o, lines_by_order.get(o.pk, [])) for o in orders], actor=actor
    )
    for order, (incoming, _) in zip(orders, items, strict=True):
        _place_flag_holds(order, incoming, actor)
        if incoming.status == OrderStatus.PAID:
            announce(STATUS_ANNOUNCEMENTS[OrderStatus.PAID], order_id=order.pk)
        _announce_deposit(order, deposit_was_paid=False)
    return orders


def _line(order: Order, line) -> OrderLine:
    return OrderLine(
        order=order,
        platform_line_id=line.platform_line_id,
        platform_sku_id=line.platform_sku_id,
        outer_sku_code=line.outer_sku_code,
        title=line.title[:300],
        quantity=line.quantity,
        unit_price=line.unit_price,
        paid_amount=line.paid_amount,
    )


def _replace_lines(order: Order, incoming: NormalizedOrder) -> None:
    # Our own gift lines are not the platform's to replace.
    order.lines.filter(is_gift=False).delete()
    bulk_insert(_line(order, line) for line in incoming.lines)


def _line_signature(lines) -> list[tuple]:
    return sorted(
        (line.platform_sku_id, line.outer_sku_code, line.quantity, Decimal(line.paid_amount))
        for line in lines
    )


def _update(order: Order, incoming: NormalizedOrder, actor: Actor, raw_payload: dict) -> str:
    if incoming.updated_at and order.platform_updated_at and incoming.updated_at < order.platform_updated_at:
        return "stale"
    deposit_was_paid = order.presale_deposit_paid_at is not None
    # A presale's deposit stays on record once the platform reports the trade as fully paid.
    reported = {
        name: value
        for name, value in _scalar_fields(incoming).items()
        if value is not None or name not in PRESALE_FIELDS
    }
    changed = [name for name, value in reported.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, reported[name])
    amounts_before, amounts_now = _amounts(order), _amounts(incoming)
    lines_differ = _line_signature(order.lines.filter(is_gift=False)) != _line_signature(incoming.lines)
    if amounts_before != amounts_now or lines_differ:
        if order.status == OrderStatus.PENDING_PAYMENT:
            # Before payment the seller may still change prices and the buyer the basket.
            for name, value in amounts_now.items():
                setattr(order, name, value)
            changed += [name for name in AMOUNT_FIELDS if amounts_before[name] != amounts_now[name]]
            if lines_differ:
                _replace_lines(order, incoming)
                changed.append("lines")
        else:
            _record_discrepancy(order, incoming, actor, amounts_before, amounts_now)
    status_changes = incoming.status != order.status
    if not changed and not status_changes:
        return "unchanged"
    order.raw_payload = raw_payload
    order.save()
    if changed:
        order_updated_event(order=order, actor=actor, changed_fields=_redacted(changed))
        if "lines" in changed:
            order_lines_map(order=order, actor=actor)
        if RECEIVER_FIELDS.intersection(changed):  # the warehouse decides what a new address means
            announce("order.address_changed", order_id=order.pk)
    if status_changes:
        _apply_reported_status(order, incoming, actor)
    _announce_deposit(order, deposit_was_paid)
    _place_flag_holds(order, incoming, actor)
    return "updated"


RECEIVER_FIELDS = frozenset(
    {"receiver_name", "receiver_phone", "receiver_province", "receiver_city", "receiver_district"}
    | {"receiver_detail"}
)


def _redacted(changed: list[str]) -> list[str]:
    return [name for name in changed if name != "receiver_phone_hash"]


def _record_discrepancy(order, incoming, actor, amounts_before, amounts_now) -> None:
    ours = {name: str(value) for name, value in amounts_before.items()}
    reported = {name: str(value) for name, value in amounts_now.items()}
    order_amount_discrepancy_event(order=order, actor=actor, ours=ours, reported=reported)
    hold_place(
        order=order,
        kind=HoldKind.AMOUNT_DISCREPANCY,
        actor=actor,
        reason=f"platform reports paid {reported['paid_amount']}, we hold {ours['paid_amount']}",
        details={"ours": ours, "reported": reported},
    )


def _apply_reported_status(order: Order, incoming: NormalizedOrder, actor: Actor) -> None:
    if transition_allowed(order.status, incoming.status):
        apply_status(order=order, to_status=incoming.status, actor=actor, reason="reported by platform")
        return
    order_status_conflict_event(
        order=order,
        actor=actor,
        current=order.status,
        reported=incoming.status,
        raw_status=incoming.raw_status,
    )
    hold_place(
        order=order,
        kind=HoldKind.STATUS_CONFLICT,
        actor=actor,
        reason=f"platform reports {incoming.raw_status} ({incoming.status}) but the order is {order.status}",
        details={"current": order.status, "reported": incoming.status, "raw_status": incoming.raw_status},
    )


def _place_flag_holds(order: Order, incoming: NormalizedOrder, actor: Actor) -> None:
    for flag in sorted(incoming.flags & BLOCKING_FLAGS):
        hold_place(
            order=order,
            kind=HoldKind.PLATFORM_BLOCKED,
            actor=actor,
            reason=f"platform status {incoming.raw_status}: {flag.replace('_', ' ')}",
            details={"flag": flag, "raw_status": incoming.raw_status},
        )
