from django.db import transaction
from django.utils import timezone

from orderhub.dispatch import announce
from orderhub.events import Actor, order_hold_placed_event, order_hold_resolved_event
from orderhub.exceptions import HoldAlreadyResolved, InvalidInput, NotFound
from orderhub.locks import lock_open_holds, lock_order
from orderhub.models import Hold, HoldStatus, Order
from orderhub.status import HOLD_LEVELS, HoldKind, HoldResolution


def hold_place(
    *,
    order: Order,
    kind: str,
    reason: str,
    actor: Actor,
    details: dict | None = None,
    level: int | None = None,
) -> Hold:
    """Opens a hold of this kind unless one is already open. Call with the order locked."""
    if kind not in HoldKind.values:
        raise InvalidInput(f"unknown hold kind {kind!r}")
    existing = Hold.objects.filter(order=order, kind=kind, status=HoldStatus.OPEN).first()
    if existing is not None:
        return existing
    hold = Hold.objects.create(
        order=order, kind=kind, level=level or HOLD_LEVELS[kind], reason=reason, details=details or {}
    )
    order_hold_placed_event(order=order, hold=hold, actor=actor)
    return hold


def hold_resolve(*, hold_id: int, actor: Actor, resolution: str, note: str = "") -> Hold:
    if resolution not in HoldResolution.values:
        raise InvalidInput(f"unknown resolution {resolution!r}")
    with transaction.atomic():
        try:
            order_id = Hold.objects.values_list("order_id", flat=True).get(pk=hold_id)
        except Hold.DoesNotExist:
            raise NotFound(f"hold {hold_id} does not exist") from None
        order = lock_order(order_id)
        hold = next((h for h in lock_open_holds(order_id) if h.pk == hold_id), None)
        if hold is None:
            raise HoldAlreadyResolved(f"hold {hold_id} is already resolved")
        hold.status = HoldStatus.RESOLVED
        hold.resolution = resolution
        hold.resolution_note = note
        hold.resolved_at = timezone.now()
        hold.resolved_by_id = actor.user_id
        hold.save(update_fields=["status", "resolution", "resolution_note", "resolved_at", "resolved_by"])
        order_hold_resolved_event(order=order, hold=hold, actor=actor)
        _announce_if_released(order)
    return hold


def holds_resolve_for_order(
    *, order: Order, kinds: set[str], actor: Actor, note: str, resolution: str = HoldResolution.AUTO
) -> list[Hold]:
    """Closes open holds whose cause went away (e.g. every line is now mapped). Call with the order locked."""
    resolved = []
    for hold in Hold.objects.filter(order=order, kind__in=kinds, status=HoldStatus.OPEN).order_by("pk"):
        hold.status = HoldStatus.RESOLVED
        hold.resolution = resolution
        hold.resolution_note = note
        hold.resolved_at = timezone.now()
        hold.resolved_by_id = actor.user_id
        hold.save(update_fields=["status", "resolution", "resolution_note", "resolved_at", "resolved_by"])
        order_hold_resolved_event(order=order, hold=hold, actor=actor)
        resolved.append(hold)
    if resolved:
        _announce_if_released(order)
    return resolved


def _announce_if_released(order: Order) -> None:
    """The last open hold is gone: whoever decides what happens to the order may decide again."""
    if not Hold.objects.filter(order=order, status=HoldStatus.OPEN).exists():
        announce("order.released", order_id=order.pk)
