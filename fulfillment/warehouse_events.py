"""Order events of warehouse execution, one factory per type (the pattern of orderhub/events.py)."""

from orderhub.events import Actor, record
from orderhub.models import Order, OrderEvent


def order_waved_event(*, order: Order, actor: Actor, wave: str) -> OrderEvent:
    return record(order, "waved", actor, wave=wave)


def order_picked_event(*, order: Order, actor: Actor, wave: str) -> OrderEvent:
    return record(order, "picked", actor, wave=wave)


def order_packed_event(*, order: Order, actor: Actor, scans: int) -> OrderEvent:
    return record(order, "packed", actor, scans=scans)


def waybill_issued_event(
    *, order: Order, actor: Actor, carrier: str, number: str, provider: str
) -> OrderEvent:
    return record(order, "waybill_issued", actor, carrier=carrier, number=number, provider=provider)


def waybill_voided_event(*, order: Order, actor: Actor, number: str, reason: str) -> OrderEvent:
    return record(order, "waybill_voided", actor, number=number, reason=reason)


def waybill_updated_event(*, order: Order, actor: Actor, number: str, changed: list[str]) -> OrderEvent:
    return record(order, "waybill_updated", actor, number=number, changed=changed)


def waybill_printed_event(*, order: Order, actor: Actor, number: str, times: int) -> OrderEvent:
    return record(order, "waybill_printed", actor, number=number, times=times)


def address_change_event(
    *, order: Order, actor: Actor, path: str, reason: str, changed: list[str]
) -> OrderEvent:
    return record(order, "address_change", actor, path=path, reason=reason, changed=changed)


def ship_written_back_event(*, order: Order, actor: Actor, number: str, attempts: int) -> OrderEvent:
    return record(order, "ship_written_back", actor, number=number, attempts=attempts)


def ship_write_back_failed_event(*, order: Order, actor: Actor, number: str, error: str, attempts: int):
    return record(order, "ship_write_back_failed", actor, number=number, error=error, attempts=attempts)


def tracking_event(*, order: Order, actor: Actor, number: str, kind: str, at: str) -> OrderEvent:
    return record(order, f"tracking_{kind}", actor, number=number, at=at)
