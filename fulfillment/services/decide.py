"""What happens to a paid order: holds, gift, warehouse, carrier, then its stock is allocated.

The rules (fulfillment/rules/) decide; this service reads their facts (fulfillment/facts.py), writes
what they decided, and records every decision as an order event. Lock order: Order → Stock → Allocation
(stock_allocate takes the stock locks inside this transaction).
"""

import logging
from dataclasses import replace
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from fulfillment.decision_events import order_decision_event
from fulfillment.exceptions import InsufficientStock
from fulfillment.facts import (
    carrier_rule_facts,
    gift_rule_facts,
    hold_contexts,
    hold_settings,
    order_facts,
    route_facts,
    routing_settings,
    stock_by_sku,
    warehouse_options,
)
from fulfillment.models import Carrier, FulfillmentSettings
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.rules import (
    Decision,
    GiftDecision,
    LineFacts,
    OrderFacts,
    choose_carrier,
    choose_warehouse,
    decide_holds,
    gifts_for,
    priority_key,
)
from fulfillment.selectors import available_stock
from fulfillment.services.stock import AllocationRequest, stock_allocate
from orderhub.events import Actor
from orderhub.locks import lock_order
from orderhub.models import Hold, HoldStatus, Order, OrderLine, OrderLineSku, Sku
from orderhub.services.holds import hold_place
from orderhub.status import HoldKind, HoldResolution, OrderStatus

log = logging.getLogger(__name__)

# Judgement calls: once staff approved such a hold, re-processing the order must not hold it again.
# Stock holds are facts and are checked afresh every time.
STAFF_OVERRIDABLE = frozenset({HoldKind.ADDRESS, HoldKind.RISK})


def order_process(*, order_id: int, actor: Actor) -> OrderFulfillment | None:
    """Decides and allocates a paid order; a no-op for an order already allocated.

    None when there is nothing to decide: the order is not paid and was never processed.
    """
    with transaction.atomic():
        order = lock_order(order_id)
        fulfillment = OrderFulfillment.objects.filter(order=order).first()
        if order.status != OrderStatus.PAID:
            if order.status == OrderStatus.CANCELLED and fulfillment is not None:
                # fulfillment.tasks.release_on_cancel, on the same event, gives its stock back.
                _save(fulfillment, state=FulfillmentState.CANCELLED)
            return fulfillment
        if fulfillment is None:
            fulfillment = OrderFulfillment.objects.create(order=order)
        elif fulfillment.state == FulfillmentState.ALLOCATED:
            return fulfillment
        _decide(order, fulfillment, actor)
    return fulfillment


def order_reprocess_after_hold(*, order_id: int) -> OrderFulfillment | None:
    """Runs the decisions again once the order's last open hold is resolved (order.released)."""
    if Hold.objects.filter(order_id=order_id, status=HoldStatus.OPEN).exists():
        return None
    return order_process(order_id=order_id, actor=Actor.system("hold released"))


def _decide(order: Order, fulfillment: OrderFulfillment, actor: Actor) -> None:
    now = timezone.now()
    settings = FulfillmentSettings.current()
    facts = order_facts([order.pk])[order.pk]
    gift_rules = gift_rule_facts()
    stock = available_stock(set(facts.demand()) | {rule.gift_sku_id for rule in gift_rules})
    ctx = hold_contexts({order.pk: facts}, hold_settings(settings), stock)[order.pk]

    def record(decision: Decision) -> None:
        order_decision_event(order=order, actor=actor, decision=decision)

    fulfillment.priority_rank = priority_rank(facts)
    _place_holds(order, facts, ctx, actor, record)
    open_kinds = set(Hold.objects.filter(order=order, status=HoldStatus.OPEN).values_list("kind", flat=True))
    if open_kinds:
        state = (
            FulfillmentState.OUT_OF_STOCK if HoldKind.OUT_OF_STOCK in open_kinds else FulfillmentState.HELD
        )
        _save(fulfillment, state=state, decided_at=now)
        return

    gift = gifts_for(facts, gift_rules, stock_by_sku(stock), now)
    if gift is not None:
        record(gift.decision)
        if gift.gift_sku_id is not None:
            facts = replace(facts, lines=(*facts.lines, _gift_line_add(order, gift)))

    options, warehouses = warehouse_options()
    routing = choose_warehouse(facts, options, stock, route_facts(), routing_settings(settings))
    record(routing.decision)
    shortfall = None
    if not routing.plan:
        shortfall = {"reason": routing.decision.reason, "demand": routing.decision.inputs["demand"]}
    else:
        requests = [
            AllocationRequest(line_id, sku_id, warehouse_id, quantity)
            for warehouse_id, items in routing.plan.items()
            for line_id, sku_id, quantity in items
        ]
        try:
            stock_allocate(order_id=order.pk, requests=requests, actor=actor)
        except InsufficientStock as short:
            # Taken by another order since the snapshot the routing saw.
            shortfall = {"reason": "stock taken meanwhile", "shortfalls": short.shortfalls}
    if shortfall is not None:
        hold_place(
            order=order,
            kind=HoldKind.OUT_OF_STOCK,
            reason=f"no warehouse can ship it: {shortfall['reason']}",
            actor=actor,
            details=shortfall,
        )
        _alert_purchasing(order, facts)
        _save(fulfillment, state=FulfillmentState.OUT_OF_STOCK, decided_at=now)
        return

    first = next(iter(routing.plan))
    carrier = choose_carrier(facts, warehouses[first], carrier_rule_facts(), facts.weight_g)
    record(carrier.decision)
    days = routing.estimated_delivery_days
    _save(
        fulfillment,
        state=FulfillmentState.ALLOCATED,
        warehouse_id=first,
        split=routing.split,
        carrier=Carrier.objects.filter(code=carrier.carrier_code).first() if carrier.carrier_code else None,
        carrier_surcharge=carrier.surcharge,
        estimated_delivery_at=now + timedelta(days=days) if days is not None else None,
        decided_at=now,
    )


def _place_holds(order, facts: OrderFacts, ctx, actor: Actor, record) -> None:
    approved = set(
        Hold.objects.filter(order=order, status=HoldStatus.RESOLVED, kind__in=STAFF_OVERRIDABLE)
        .exclude(resolution=HoldResolution.CANCEL)
        .values_list("kind", flat=True)
    )
    holds = decide_holds(facts, ctx)
    if not holds:
        record(
            Decision(
                kind="hold",
                rule="decide_holds",
                inputs={
                    "orders_by_phone_24h": ctx.orders_by_phone_24h,
                    "is_first_order": ctx.is_first_order,
                    "address": ctx.address.reason,
                    "paid_amount": facts.paid_amount,
                },
                outcome={"hold": None},
                reason="no hold needed",
            )
        )
    for hold in holds:
        if hold.kind in approved:
            record(
                replace(
                    hold.decision,
                    outcome={**hold.decision.outcome, "placed": False},
                    reason=f"{hold.reason}; approved by staff before, not held again",
                )
            )
            continue
        hold_place(
            order=order,
            kind=hold.kind,
            reason=hold.reason,
            actor=actor,
            details=hold.decision.inputs,
            level=hold.level,
        )
        record(hold.decision)
        if hold.kind == HoldKind.OUT_OF_STOCK:
            _alert_purchasing(order, facts)


def _gift_line_add(order: Order, gift: GiftDecision) -> LineFacts:
    """The gift as a free line mapped to its SKU; gifts_for gives nothing to an order that has one."""
    sku = Sku.objects.get(pk=gift.gift_sku_id)
    line = OrderLine.objects.create(
        order=order,
        outer_sku_code=sku.code,
        title=(gift.label_note or sku.name)[:300],
        quantity=gift.quantity,
        unit_price=0,
        paid_amount=0,
        is_gift=True,
    )
    OrderLineSku.objects.create(line=line, sku=sku, quantity=gift.quantity)
    return LineFacts(line.pk, sku.pk, sku.code, gift.quantity, sku.weight_g, is_gift=True)


def _alert_purchasing(order: Order, facts: OrderFacts) -> None:
    # Order id and SKU codes only: no receiver data in logs.
    skus = ", ".join(sorted({line.sku_code for line in facts.lines})) or "unmapped lines"
    log.warning("alert purchasing: order %s is out of stock (%s)", order.pk, skus)


def priority_rank(facts: OrderFacts) -> str:
    """priority_key as fixed-width text, so sorting the column sorts the queue."""
    later, unpaid, paid_ts, order_id = priority_key(facts)
    return f"{int(later)}{int(unpaid)}{round(paid_ts * 1000):015d}{order_id:012d}"


def _save(fulfillment: OrderFulfillment, **changes) -> None:
    for name, value in changes.items():
        setattr(fulfillment, name, value)
    fulfillment.save()
