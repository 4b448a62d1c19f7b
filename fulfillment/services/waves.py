"""Waves: staff pick a batch of allocated orders from one warehouse and print one pick list for them."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.exceptions import WarehouseRefused
from fulfillment.locks import lock_orders
from fulfillment.models import Warehouse
from fulfillment.models_warehouse import Parcel, ParcelStatus, Wave, WaveOrder, WaveStatus
from fulfillment.selectors_warehouse import WaveFilters, first_open_holds, wave_candidates
from fulfillment.services.cycle import parcels_ensure
from fulfillment.warehouse_events import order_picked_event, order_waved_event
from orderhub.events import Actor, collected
from orderhub.exceptions import InvalidInput

MAX_WAVE = 2000


def _next_code(warehouse: Warehouse) -> str:
    day = timezone.localdate().strftime("%Y%m%d")
    prefix = f"W{day}-{warehouse.code.upper()}-"
    taken = Wave.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    last = max((int(code.rsplit("-", 1)[1]) for code in taken if code.rsplit("-", 1)[1].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def _wave_insert(warehouse: Warehouse, filters: WaveFilters, actor: Actor) -> Wave:
    """A wave with the day's next code; a code taken by a concurrent wave meanwhile is skipped."""
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return Wave.objects.create(
                    code=_next_code(warehouse),
                    warehouse=warehouse,
                    filters=filters.as_dict(),
                    created_by_id=actor.user_id,
                )
        except IntegrityError:
            continue
    raise WarehouseRefused(_("No free wave code; try again."))


def wave_create(*, filters: WaveFilters, actor: Actor) -> Wave:
    """A wave of up to `filters.limit` candidate orders (priority first, then by payment time).

    Orders are locked and checked again: one waved meanwhile, or held since, stays out.
    """
    if not 1 <= filters.limit <= MAX_WAVE:
        raise InvalidInput(_("A wave holds 1 to %(max)d orders.") % {"max": MAX_WAVE})
    if filters.kind not in ("", "single", "multi"):
        raise InvalidInput(_("Unknown wave kind %(kind)r.") % {"kind": filters.kind})
    warehouse = Warehouse.objects.filter(pk=filters.warehouse_id).first()
    if warehouse is None:
        raise InvalidInput(_("Unknown warehouse."))
    wanted = list(wave_candidates(filters).values_list("pk", flat=True)[: filters.limit])
    if not wanted:
        raise WarehouseRefused(_("No allocated orders match these filters."))
    with transaction.atomic():
        orders = lock_orders(wanted)
        taken = set(WaveOrder.objects.filter(order_id__in=wanted).values_list("order_id", flat=True))
        held = set(first_open_holds(wanted))
        chosen = [order_id for order_id in wanted if order_id in orders and order_id not in taken | held]
        if not chosen:
            raise WarehouseRefused(_("No allocated orders match these filters."))
        wave = _wave_insert(warehouse, filters, actor)
        WaveOrder.objects.bulk_create(
            [
                WaveOrder(wave=wave, order_id=order_id, position=n)
                for n, order_id in enumerate(chosen, start=1)
            ]
        )
        parcels_ensure(chosen)
        Parcel.objects.filter(order_id__in=chosen, status=ParcelStatus.WAITING).update(
            status=ParcelStatus.PICKING, warehouse=warehouse
        )
        with collected():
            for order_id in chosen:
                order_waved_event(order=orders[order_id], actor=actor, wave=wave.code)
    return wave


def wave_picked(*, wave_id: int, actor: Actor) -> Wave:
    """The pickers are done: every order of the wave is stamped picked."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        if wave.status == WaveStatus.DONE:
            return wave
        order_ids = list(wave.wave_orders.values_list("order_id", flat=True))
        orders = lock_orders(order_ids)
        now = timezone.now()
        wave.status, wave.picked_at = WaveStatus.DONE, now
        wave.save(update_fields=["status", "picked_at"])
        Parcel.objects.filter(order_id__in=order_ids, picked_at__isnull=True).update(picked_at=now)
        with collected():
            for order in orders.values():
                order_picked_event(order=order, actor=actor, wave=wave.code)
    return wave
