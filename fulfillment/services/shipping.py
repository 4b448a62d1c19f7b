"""Ship: a packed parcel with an active waybill leaves the warehouse. The order (and every order merged
into the parcel) turns shipped, its stock leaves the shelves, and the tracking number is written back
to each source order's platform through its real ship API: one ShipWriteBack per order, attempted after
commit and retried on a schedule with backoff until the platform accepts it, never dropped."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

import httpx
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from channels_sync.platforms.base import AuthExpired, PlatformError
from channels_sync.platforms.http import http_client
from channels_sync.shipping import ShipRequest, shop_ship
from fulfillment.exceptions import WarehouseRefused
from fulfillment.locks import lock_active_allocations, lock_stocks
from fulfillment.locks_warehouse import lock_parcel, lock_writebacks_due
from fulfillment.models import Allocation, AllocationStatus, StockAdjustment
from fulfillment.models_warehouse import ParcelStatus, ShipWriteBack, Waybill, WaybillStatus, WriteBackStatus
from fulfillment.selectors_warehouse import first_open_holds, parcel_order_ids
from fulfillment.services.cycle import parcel_ensure, stamp
from fulfillment.warehouse_events import ship_write_back_failed_event, ship_written_back_event
from orderhub.events import Actor, record
from orderhub.locks import lock_order
from orderhub.models import Order
from orderhub.services.orders import apply_status
from orderhub.status import OrderStatus

logger = logging.getLogger(__name__)
# Minutes to wait after the n-th failed attempt (the last value repeats): retried for as long as it takes.
BACKOFF_MINUTES = (1, 2, 5, 10, 30, 60)
CLAIM_MINUTES = 10  # a claimed write-back is not claimed again for this long (a worker died mid-call)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


def _ship_allocations(order: Order, actor: Actor) -> None:
    """The reserved units leave: on hand and allocated both drop, the allocation becomes shipped."""
    stock_ids = (
        Allocation.objects.filter(line__order=order, status=AllocationStatus.ACTIVE)
        .values_list("stock_id", flat=True)
        .distinct()
    )
    stocks = lock_stocks(stock_ids)
    allocations = lock_active_allocations(order.pk)
    adjustments = []
    for allocation in allocations:
        stock = stocks[allocation.stock_id]
        type(stock).objects.filter(pk=stock.pk).update(
            on_hand=F("on_hand") - allocation.quantity, allocated=F("allocated") - allocation.quantity
        )
        stock.on_hand -= allocation.quantity
        adjustments.append(
            StockAdjustment(
                stock=stock,
                delta=-allocation.quantity,
                on_hand_after=stock.on_hand,
                reason=f"shipped {order.platform_order_id}",
                source="ship",
                user_id=actor.user_id,
            )
        )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(status=AllocationStatus.SHIPPED)
    StockAdjustment.objects.bulk_create(adjustments)


def order_ship(*, order_id: int, actor: Actor) -> list[ShipWriteBack]:
    """Packed + active waybill → shipped; queues the write-back of every source order."""
    now = timezone.now()
    source_ids = parcel_order_ids(order_id)
    with transaction.atomic():
        # Every order of the parcel first, in pk order (Order → Parcel → Stock → Allocation → Waybill).
        sources = {source_id: lock_order(source_id) for source_id in source_ids}
        order = sources[order_id]
        parcel_ensure(order.pk)
        parcel = lock_parcel(order.pk)
        holds = first_open_holds(source_ids)
        hold = next(iter(holds.values()), "")
        if hold:
            raise WarehouseRefused(
                _("Order %(order)s is on hold: %(reason)s") % {"order": order, "reason": hold}
            )
        if parcel.status != ParcelStatus.PACKED:
            raise WarehouseRefused(_("Order %(order)s is not packed.") % {"order": order})
        waybill = (
            Waybill.objects.filter(order=order, status=WaybillStatus.ACTIVE).select_related("carrier").first()
        )
        if waybill is None:
            raise WarehouseRefused(_("Order %(order)s has no active waybill.") % {"order": order})
        writebacks = []
        for source in sources.values():
            if source.status == OrderStatus.PAID:
                apply_status(
                    order=source, to_status=OrderStatus.SHIPPED, actor=actor, reason="parcel shipped"
                )
            source.tracking_number = waybill.number
            source.save(update_fields=["tracking_number", "updated_at"])
            _ship_allocations(source, actor)
            record(source, "shipped", actor, number=waybill.number, carrier=waybill.carrier.code)
            if source.pk != order.pk:  # a merged order's own parcel row follows the shared parcel
                merged = parcel_ensure(source.pk)
                merged_changed = stamp(merged, "packed", now) + stamp(merged, "shipped", now)
                merged.status = ParcelStatus.SHIPPED
                merged.save(update_fields=[*merged_changed, "status"])
            writebacks.append(
                ShipWriteBack.objects.get_or_create(
                    order=source, waybill=waybill, defaults={"next_attempt_at": now}
                )[0]
            )
        changed = stamp(parcel, "shipped", now)
        parcel.status = ParcelStatus.SHIPPED
        parcel.save(update_fields=[*changed, "status"])
        for writeback in writebacks:
            transaction.on_commit(
                partial(
                    async_task, "fulfillment.tasks_warehouse.ship_writeback_task", writeback_id=writeback.pk
                )
            )
    return writebacks


def ship_writeback_attempt(
    *, writeback_id: int, http: httpx.Client | None = None, claimed: bool = False
) -> ShipWriteBack:
    """One attempt to tell the platform; the row records the outcome and when to try again.

    The row is claimed first (its next attempt moved a few minutes on), so the after-commit task and the
    schedule never call the platform twice for it at once; `claimed` when the schedule already did.
    """
    if not claimed:
        now = timezone.now()
        taken = ShipWriteBack.objects.filter(
            pk=writeback_id,
            status__in=[WriteBackStatus.PENDING, WriteBackStatus.FAILED],
            next_attempt_at__lte=now,
        ).update(next_attempt_at=now + timedelta(minutes=CLAIM_MINUTES))
        if not taken:
            return ShipWriteBack.objects.get(pk=writeback_id)  # done, not due, or another worker has it
    writeback = ShipWriteBack.objects.select_related("order__shop", "waybill__carrier").get(pk=writeback_id)
    if writeback.status == WriteBackStatus.DONE:
        return writeback
    order, waybill = writeback.order, writeback.waybill
    request = ShipRequest(
        platform_order_id=order.platform_order_id,
        carrier_code=waybill.carrier.code.upper(),
        carrier_name=waybill.carrier.name,
        tracking_number=waybill.number,
        platform_line_ids=tuple(
            order.lines.filter(is_gift=False)
            .exclude(platform_line_id="")
            .values_list("platform_line_id", flat=True)
        ),
    )
    client_http = http or http_client(timeout=15)
    error = ""
    try:
        shop_ship(shop=order.shop, request=request, http=client_http)
    except AuthExpired as exc:
        error = f"shop authorisation expired, re-authorise {order.shop.code}: {exc}"
    except (PlatformError, LookupError, ValueError) as exc:
        error = str(exc) or exc.__class__.__name__
    finally:
        if http is None:
            client_http.close()
    return _attempt_record(writeback.pk, error=error)


def _attempt_record(writeback_id: int, *, error: str) -> ShipWriteBack:
    now = timezone.now()
    with transaction.atomic():
        writeback = (
            ShipWriteBack.objects.select_for_update().select_related("order", "waybill").get(pk=writeback_id)
        )
        order = lock_order(writeback.order_id)
        writeback.attempts += 1
        actor = Actor.system("ship write-back")
        if not error:
            writeback.status, writeback.done_at, writeback.next_attempt_at = WriteBackStatus.DONE, now, None
            writeback.last_error = ""
            ship_written_back_event(
                order=order, actor=actor, number=writeback.waybill.number, attempts=writeback.attempts
            )
        else:
            writeback.status, writeback.last_error = WriteBackStatus.FAILED, error[:2000]
            writeback.next_attempt_at = now + backoff(writeback.attempts)
            logger.warning(
                "ship write-back %s failed (attempt %d): %s", writeback.pk, writeback.attempts, error
            )
            ship_write_back_failed_event(
                order=order,
                actor=actor,
                number=writeback.waybill.number,
                error=error[:500],
                attempts=writeback.attempts,
            )
        writeback.save()
    return writeback


def ship_writebacks_due(
    *, now: datetime | None = None, limit: int = 100, http: httpx.Client | None = None
) -> dict:
    """The schedule's pass: claims due write-backs (skipping rows another worker holds) and attempts each."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = lock_writebacks_due(now, limit)
        ShipWriteBack.objects.filter(pk__in=[w.pk for w in claimed]).update(
            next_attempt_at=now + timedelta(minutes=CLAIM_MINUTES)
        )
    done = failed = 0
    for writeback in claimed:
        outcome = ship_writeback_attempt(writeback_id=writeback.pk, http=http, claimed=True)
        if outcome.status == WriteBackStatus.DONE:
            done += 1
        else:
            failed += 1
    return {"attempted": len(claimed), "done": done, "failed": failed}


def ship_writeback_retry_now(*, writeback_id: int) -> ShipWriteBack:
    """Staff ask for an attempt now (the console's retry button)."""
    with transaction.atomic():
        writeback = ShipWriteBack.objects.select_for_update().get(pk=writeback_id)
        if writeback.status != WriteBackStatus.DONE:
            writeback.next_attempt_at = timezone.now()
            writeback.save(update_fields=["next_attempt_at"])
            transaction.on_commit(
                partial(
                    async_task, "fulfillment.tasks_warehouse.ship_writeback_task", writeback_id=writeback.pk
                )
            )
    return writeback
