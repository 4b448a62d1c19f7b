"""Merging: orders to the same buyer and address ship in one parcel; each keeps its own row, so the
tracking number is written back to every one of them (fulfillment.services.shipping)."""

from functools import partial

from django.db import transaction
from django_q.tasks import async_task

from fulfillment.decision_events import order_decision_event
from fulfillment.exceptions import MergeRefused
from fulfillment.locks import lock_orders
from fulfillment.models import FulfillmentSettings
from fulfillment.models_decisions import MergeGroup, OrderFulfillment
from fulfillment.rules import Decision, OrderFacts, merge_candidates, merge_check
from fulfillment.selectors_merge import MERGEABLE_STATES, merge_facts, merge_partners, merge_settings
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput, NotFound
from orderhub.models import Order


def orders_merge(*, order_ids: list[int], actor: Actor) -> MergeGroup:
    """Puts the orders into one parcel: every pair must pass merge_check (same phone and address,
    within the window, same warehouse, no waybill, no cash on delivery). Orders already merged bring
    their group along; the result is one group holding all of them."""
    order_ids = sorted(set(order_ids))
    if len(order_ids) < 2:
        raise InvalidInput("merging needs at least two orders")
    with transaction.atomic():
        orders = lock_orders(order_ids)
        missing = set(order_ids) - set(orders)
        if missing:
            raise NotFound(f"orders {sorted(missing)} do not exist")
        records = {
            r.order_id: r for r in OrderFulfillment.objects.select_for_update().filter(order_id__in=orders)
        }
        unready = [pk for pk in order_ids if pk not in records or records[pk].state not in MERGEABLE_STATES]
        if unready:
            raise MergeRefused(f"orders {unready} are not waiting to ship", details={"orders": unready})
        groups = {r.merge_group_id for r in records.values() if r.merge_group_id}
        members = set(order_ids) | set(
            OrderFulfillment.objects.filter(merge_group_id__in=groups).values_list("order_id", flat=True)
        )
        facts = merge_facts(members)
        settings = merge_settings(FulfillmentSettings.current())
        ordered = sorted(members)
        failed = [
            check
            for i, a in enumerate(ordered)
            for b in ordered[i + 1 :]
            if not (check := merge_check(facts[a], facts[b], settings)).can_merge
        ]
        if failed:
            raise MergeRefused(
                "; ".join(f"{c.order_ids[0]} + {c.order_ids[1]}: {', '.join(c.reasons)}" for c in failed),
                details={"checks": [c.decision.as_event_parameters() for c in failed]},
            )
        group = MergeGroup.objects.filter(pk__in=groups).order_by("pk").first() or MergeGroup.objects.create(
            created_by_id=actor.user_id
        )
        OrderFulfillment.objects.filter(order_id__in=members).update(merge_group=group)
        MergeGroup.objects.filter(pk__in=groups - {group.pk}).delete()
        all_orders = {order.pk: order for order in Order.objects.filter(pk__in=members)}
        for order_id in ordered:
            order_decision_event(
                order=all_orders[order_id],
                actor=actor,
                decision=Decision(
                    kind="merge",
                    rule="orders_merge",
                    inputs={"orders": ordered},
                    outcome={"merge_group": group.pk},
                    reason=f"ships in one parcel with {', '.join(str(o) for o in ordered if o != order_id)}",
                ),
            )
    return group


def merge_group_dissolve(*, group_id: int, actor: Actor, reason: str) -> list[int]:
    """Splits a merged parcel back into its orders, before any waybill is issued for it."""
    if not reason.strip():
        raise InvalidInput("say why the merged parcel is split")
    with transaction.atomic():
        order_ids = list(
            OrderFulfillment.objects.filter(merge_group_id=group_id).values_list("order_id", flat=True)
        )
        if not order_ids:
            raise NotFound(f"merge group {group_id} does not exist or is empty")
        orders = lock_orders(order_ids)
        facts = merge_facts(order_ids)
        if any(f.has_waybill for f in facts.values()):
            raise MergeRefused("a waybill exists for this parcel: void it before splitting")
        OrderFulfillment.objects.filter(merge_group_id=group_id).update(merge_group=None)
        MergeGroup.objects.filter(pk=group_id).delete()
        for order in orders.values():
            order_decision_event(
                order=order,
                actor=actor,
                decision=Decision(
                    kind="merge",
                    rule="merge_group_dissolve",
                    inputs={"merge_group": group_id, "orders": sorted(order_ids)},
                    outcome={"merge_group": None},
                    reason=f"split by staff: {reason.strip()}",
                ),
            )
    return sorted(order_ids)


def merge_candidates_record(
    *,
    facts: list[OrderFacts],
    warehouses: dict[int, int],
    orders: dict[int, Order],
    settings_row: FulfillmentSettings,
    actor: Actor,
) -> None:
    """For orders being allocated (to `warehouses`): record each one that could merge with another
    waiting order, and merge them automatically after commit when the setting says so. Call inside
    the deciding transaction with the settings it decides by; one query for the whole batch when nobody
    has a partner."""
    settings = merge_settings(settings_row)
    partners = merge_partners(
        [(f.order_id, f.phone_hash, f.paid_at) for f in facts], settings.window_minutes, deciding=True
    )
    wanted = {order_id for order_id, others in partners.items() if others}
    if not wanted:
        return
    merging = merge_facts(wanted | {other for order_id in wanted for other in partners[order_id]}, warehouses)
    for order_id in sorted(wanted):
        checks = merge_candidates(merging[order_id], [merging[pk] for pk in partners[order_id]], settings)
        mergeable = [check for check in checks if check.can_merge]
        if not mergeable:
            continue
        best = mergeable[0]
        order_decision_event(order=orders[order_id], actor=actor, decision=best.decision)
        if settings_row.merge_automatically:
            transaction.on_commit(
                partial(async_task, "fulfillment.tasks.orders_merge_task", order_ids=list(best.order_ids))
            )
