"""One factory per order event type; every entry of the audit trail is written through these."""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from orderhub.bulk import bulk_insert
from orderhub.models import ActorType, Hold, Order, OrderEvent


@dataclass(frozen=True)
class Actor:
    """Who did it: a console/API user, the system (a rule, a schedule) or a sales channel."""

    type: str
    user_id: int | None = None
    label: str = ""

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls(ActorType.USER, user_id=user.pk, label=user.get_username())

    @classmethod
    def system(cls, label: str) -> "Actor":
        return cls(ActorType.SYSTEM, label=label)

    @classmethod
    def channel(cls, label: str) -> "Actor":
        return cls(ActorType.CHANNEL, label=label)


_pending: ContextVar[list[OrderEvent] | None] = ContextVar("pending_order_events", default=None)


@contextmanager
def collected():
    """Within this block events are gathered and written in one bulk insert at its end.

    Batch ingestion writes thousands of events a second; one INSERT each would be the bottleneck.
    """
    batch: list[OrderEvent] = []
    token = _pending.set(batch)
    try:
        yield batch
    finally:
        _pending.reset(token)
    bulk_insert(batch)


def events_flush() -> None:
    """Writes the events gathered so far in a collected() block, e.g. before taking contended locks."""
    batch = _pending.get()
    if batch:
        bulk_insert(batch)
        batch.clear()


def record(order: Order, type_: str, actor: Actor, **parameters) -> OrderEvent:
    event = OrderEvent(
        order=order,
        type=type_,
        parameters=parameters,
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
    )
    batch = _pending.get()
    if batch is None:
        event.save()
    else:
        batch.append(event)
    return event


def order_received_event(*, order: Order, actor: Actor, source: str) -> OrderEvent:
    return record(
        order, "order_received", actor, source=source, status=order.status, raw_status=order.raw_status
    )


def order_status_changed_event(
    *, order: Order, actor: Actor, from_status: str, to_status: str, raw_status: str, reason: str
) -> OrderEvent:
    return record(
        order,
        "status_changed",
        actor,
        from_status=from_status,
        to_status=to_status,
        raw_status=raw_status,
        reason=reason,
    )


def order_updated_event(*, order: Order, actor: Actor, changed_fields: list[str]) -> OrderEvent:
    return record(order, "order_updated", actor, changed_fields=changed_fields)


def order_status_conflict_event(*, order: Order, actor: Actor, current: str, reported: str, raw_status: str):
    return record(order, "status_conflict", actor, current=current, reported=reported, raw_status=raw_status)


def order_amount_discrepancy_event(*, order: Order, actor: Actor, ours: dict, reported: dict) -> OrderEvent:
    return record(order, "amount_discrepancy", actor, ours=ours, reported=reported)


def order_priority_changed_event(*, order: Order, actor: Actor, is_priority: bool, reason: str) -> OrderEvent:
    return record(order, "priority_changed", actor, is_priority=is_priority, reason=reason)


def order_address_edited_event(
    *, order: Order, actor: Actor, changed_fields: list[str], region: list[str], note: str
):
    return record(order, "address_edited", actor, changed_fields=changed_fields, region=region, note=note)


def order_lines_mapped_event(*, order: Order, actor: Actor, mapped: list[dict], unmapped: list[dict]):
    return record(order, "lines_mapped", actor, mapped=mapped, unmapped=unmapped)


def order_hold_placed_event(*, order: Order, hold: Hold, actor: Actor) -> OrderEvent:
    return record(
        order,
        "hold_placed",
        actor,
        hold_id=hold.pk,
        kind=hold.kind,
        level=hold.level,
        reason=hold.reason,
        details=hold.details,
    )


def order_hold_resolved_event(*, order: Order, hold: Hold, actor: Actor) -> OrderEvent:
    return record(
        order,
        "hold_resolved",
        actor,
        hold_id=hold.pk,
        kind=hold.kind,
        resolution=hold.resolution,
        note=hold.resolution_note,
    )
