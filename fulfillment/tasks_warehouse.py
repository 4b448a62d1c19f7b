"""django-q2 entry points of warehouse execution: thin, keyword ids in, services do the work.

Schedules (fulfillment/migrations/0008): ship write-backs every 2 minutes, tracking poll every
30 minutes, the missing-tracking scan every 10 minutes.
"""

from orderhub.events import Actor
from orderhub.models import Order, Shop


def waybill_cancel_at_carrier(waybill_id: int) -> bool:
    from fulfillment.services.waybills import waybill_cancel_at_carrier as cancel

    return cancel(waybill_id=waybill_id)


def waybill_number_cancel(shop_id: int, cp_code: str, number: str) -> bool:
    from fulfillment.services.waybills import waybill_number_cancel as cancel

    return cancel(shop=Shop.objects.get(pk=shop_id), cp_code=cp_code, number=number)


def waybills_void_on_cancel(order_id: int) -> int:
    from fulfillment.services.waybills import order_waybills_void

    order = Order.objects.get(pk=order_id)
    return len(
        order_waybills_void(order=order, reason="order cancelled", actor=Actor.system("order cancelled"))
    )


def address_changed_task(order_id: int) -> str:
    from fulfillment.services.address_change import order_address_change

    return order_address_change(order_id=order_id, actor=Actor.system("address change"))


def ship_writeback_task(writeback_id: int) -> str:
    from fulfillment.services.shipping import ship_writeback_attempt

    return ship_writeback_attempt(writeback_id=writeback_id).status


def ship_writebacks_run() -> dict:
    from fulfillment.services.shipping import ship_writebacks_due

    return ship_writebacks_due()


def tracking_poll_run() -> dict:
    from fulfillment.services.tracking import tracking_poll

    return tracking_poll()


def tracking_missing_run() -> dict:
    from fulfillment.services.tracking import tracking_missing_scan

    return tracking_missing_scan()
