"""Reads for merging: which paid orders could ship in one parcel with an order, and the facts the
merge rule checks (fulfillment/rules/merge.py)."""

from dataclasses import replace
from datetime import timedelta

from fulfillment.facts import order_facts
from fulfillment.models import FulfillmentSettings
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.models_warehouse import Waybill, WaybillStatus
from fulfillment.rules import MergeCheck, MergeSettings, OrderFacts, merge_candidates
from orderhub.models import Order
from orderhub.status import OrderStatus

# Orders still waiting to ship: allocated, or held with their stock already set aside.
MERGEABLE_STATES = (FulfillmentState.ALLOCATED, FulfillmentState.HELD)


def merge_settings(settings: FulfillmentSettings) -> MergeSettings:
    return MergeSettings(
        window_minutes=settings.merge_window_minutes,
        across_shops=settings.merge_across_shops,
        across_platforms=settings.merge_across_platforms,
    )


def merge_facts(order_ids, planned_warehouses: dict[int, int] | None = None) -> dict[int, OrderFacts]:
    """order_facts plus what only merging asks: an active waybill, the allocated warehouse (or the
    planned one, for orders being allocated now)."""
    facts = order_facts(list(order_ids))
    with_waybill = set(
        Waybill.objects.filter(order_id__in=facts, status=WaybillStatus.ACTIVE).values_list(
            "order_id", flat=True
        )
    )
    warehouses = dict(
        OrderFulfillment.objects.filter(order_id__in=facts).values_list("order_id", "warehouse_id")
    ) | (planned_warehouses or {})
    return {
        order_id: replace(f, has_waybill=order_id in with_waybill, warehouse_id=warehouses.get(order_id))
        for order_id, f in facts.items()
    }


def merge_partners(
    orders: list[tuple[int, str, object]], window_minutes: int, *, deciding: bool = False
) -> dict[int, list[int]]:
    """(order id, phone hash, paid at) → the other paid, not yet shipped orders to the same phone
    paid within the window (widened by a day so the console also shows near misses with their
    reason). One query. `deciding`: the given orders are being allocated in this very batch, so
    they count as waiting for each other before their records are written."""
    hashes = {phone for _, phone, _ in orders if phone}
    others = (list(orders) if deciding else []) + list(
        Order.objects.filter(
            receiver_phone_hash__in=hashes,
            status=OrderStatus.PAID,
            fulfillment__state__in=MERGEABLE_STATES,
        ).values_list("pk", "receiver_phone_hash", "platform_paid_at")
        if hashes
        else []
    )
    reach = timedelta(minutes=window_minutes) + timedelta(days=1)
    return {
        order_id: list(
            dict.fromkeys(
                pk
                for pk, other_phone, other_paid in others
                if pk != order_id
                and phone
                and other_phone == phone
                and (paid_at is None or other_paid is None or abs(other_paid - paid_at) <= reach)
            )
        )
        for order_id, phone, paid_at in orders
    }


def merge_checks_for(order_id: int) -> list[MergeCheck]:
    """What the console shows on an order: each possible partner, whether it can merge and why."""
    settings = merge_settings(FulfillmentSettings.current())
    me = Order.objects.filter(pk=order_id).values_list("pk", "receiver_phone_hash", "platform_paid_at")
    partners = merge_partners(list(me), settings.window_minutes).get(order_id, [])
    facts = merge_facts([order_id, *partners])
    if order_id not in facts:
        return []
    return merge_candidates(facts[order_id], [facts[pk] for pk in partners if pk in facts], settings)
