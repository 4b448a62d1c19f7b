"""What happens to a paid order: holds, gift, warehouse, carrier, then its stock is allocated.

The rules (fulfillment/rules/) decide; this service reads their facts (fulfillment/facts.py), writes
what they decided, and records every decision as an order event. Orders are decided in batches (one
transaction, a fixed handful of queries), since one transaction per order caps a worker near a hundred
orders a second; `order_process` is a batch of one.

Lock order: Order → Stock (by pk) → Allocation. The rules decide on a snapshot of the stock; then the
stock rows of every SKU the planned orders need (in every warehouse) are locked, each plan is checked
on the locked levels and re-routed there if another batch took its units meanwhile, and
stock_allocate_many takes exactly what was confirmed: no two batches can take the same unit.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from fulfillment.decision_events import order_decision_event
from fulfillment.decision_tables import DecisionTables, decision_tables
from fulfillment.exceptions import InsufficientStock
from fulfillment.facts import (
    hold_contexts,
    hold_settings,
    order_facts,
    presale_decision,
    routing_settings,
    stock_by_sku,
)
from fulfillment.locks import lock_orders, lock_stocks_of_skus
from fulfillment.models import Allocation, AllocationStatus
from fulfillment.models_decisions import FulfillmentState, OrderFulfillment
from fulfillment.rules import (
    RESERVE,
    CarrierDecision,
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
from fulfillment.selectors import StockLevel, available_stock
from fulfillment.services.merge import merge_candidates_record
from fulfillment.services.stock import AllocationRequest, stock_allocate_many
from orderhub.events import Actor, collected, events_flush
from orderhub.models import Hold, HoldStatus, Order, OrderLine, OrderLineSku, Sku
from orderhub.ops.services.alerts import alert_raise
from orderhub.services.holds import hold_place
from orderhub.status import HoldKind, HoldResolution, OrderStatus

log = logging.getLogger(__name__)

# Judgement calls: once staff approved such a hold, re-processing the order must not hold it again.
# Stock holds are facts and are checked afresh every time.
STAFF_OVERRIDABLE = frozenset({HoldKind.ADDRESS, HoldKind.RISK})
STOCK_HOLDS = frozenset({HoldKind.UNMAPPED_SKU, HoldKind.OUT_OF_STOCK})
SHIP, RESERVE_ONLY = "ship", "reserve"


def order_process(*, order_id: int, actor: Actor) -> OrderFulfillment | None:
    """Decides and allocates a paid order (or reserves a presale's stock); a no-op for an order
    already decided. None when there is nothing to decide: not paid and never processed."""
    return orders_process(order_ids=[order_id], actor=actor).get(order_id)


def order_reprocess_after_hold(*, order_id: int) -> OrderFulfillment | None:
    """Runs the decisions again once the order's last open hold is resolved (order.released)."""
    if Hold.objects.filter(order_id=order_id, status=HoldStatus.OPEN).exists():
        return None
    return order_process(order_id=order_id, actor=Actor.system("hold released"))


def orders_process(*, order_ids: list[int], actor: Actor) -> dict[int, OrderFulfillment | None]:
    """order_process for many orders in one transaction; order id → its fulfillment record."""
    now = timezone.now()
    with transaction.atomic(), collected():
        orders = lock_orders(order_ids)
        records = {f.order_id: f for f in OrderFulfillment.objects.filter(order_id__in=orders)}
        tables = decision_tables()
        settings = tables.settings
        modes, outcome = {}, {}
        for order_id, order in orders.items():
            record = records.get(order_id)
            mode = _mode(order, record, settings, now, actor)
            if mode is None:
                if order.status == OrderStatus.CANCELLED and record is not None:
                    # fulfillment.tasks.release_on_cancel, on the same event, gives its stock back.
                    record.state = FulfillmentState.CANCELLED
                    record.save(update_fields=["state"])
                outcome[order_id] = record
                continue
            if record is None:
                record = records[order_id] = OrderFulfillment(order_id=order_id)
            modes[order_id] = mode
            outcome[order_id] = record
        if modes:
            _Batch(orders, records, modes, tables, now, actor).decide()
    return outcome


def _mode(order: Order, record, settings, now: datetime, actor: Actor) -> str | None:
    state = record.state if record else None
    if order.status == OrderStatus.PAID:
        return None if state == FulfillmentState.ALLOCATED else SHIP
    if order.status != OrderStatus.PENDING_PAYMENT or order.presale_deposit_paid_at is None:
        return None
    presale = presale_decision(order, settings, now)
    if presale.state != RESERVE or state in (FulfillmentState.RESERVED, FulfillmentState.OUT_OF_STOCK):
        # Overdue deposits are closed by presales_expire; a reserved one has nothing more to do.
        return None
    order_decision_event(order=order, actor=actor, decision=presale.decision)
    return RESERVE_ONLY


@dataclass
class _Plan:
    requests: list[AllocationRequest]
    warehouse_id: int
    split: bool
    days: int | None
    carrier: CarrierDecision | None = None


class _Batch:
    """One batch of decisions: the facts of every order read at once, the rules applied order by order
    in queue order (VIP and expedited first), the allocations written at once."""

    def __init__(self, orders, records, modes, tables: DecisionTables, now, actor):
        self.orders, self.records, self.modes = orders, records, modes
        self.settings, self.now, self.actor = tables.settings, now, actor
        self.facts = order_facts(list(modes))
        self.gift_rules = tables.gift_rules
        self.allocated = self._allocated_warehouses()
        self.options, self.warehouses = tables.options, tables.warehouses
        self.routes, self.routing_settings = tables.routes, routing_settings(tables.settings)
        self.carrier_rules = tables.carrier_rules
        self.carriers = tables.carriers
        self.frozen_skus: set[str] = set()

    def decide(self) -> None:
        """Holds, gifts, routing and carriers judge a snapshot of the stock; the plans are then
        checked on the locked stock rows (re-routed there when another batch took the units meanwhile)
        and allocated. The rows are locked as late as possible: batches needing the same SKUs wait
        for them."""
        skus = {sku for facts in self.facts.values() for sku in facts.demand()}
        skus |= {rule.gift_sku_id for rule in self.gift_rules if rule.active}
        snapshot = available_stock(skus)
        contexts = hold_contexts(self.facts, hold_settings(self.settings), snapshot)
        approved, open_kinds = self._holds_known()
        gifts_left = stock_by_sku(snapshot)
        to_route, gifts = [], {}
        for facts in sorted(self.facts.values(), key=priority_key):
            order_id = facts.order_id
            self.records[order_id].priority_rank = priority_rank(facts)
            kinds = self._place_holds(facts, contexts[order_id], approved[order_id], open_kinds[order_id])
            if kinds:
                stock_short = kinds & STOCK_HOLDS
                self._finish(
                    order_id, FulfillmentState.OUT_OF_STOCK if stock_short else FulfillmentState.HELD
                )
                if stock_short:
                    self._alert_purchasing(facts)
            elif order_id in self.allocated:
                # Reserved on its deposit, or held after allocating: its stock is already set aside.
                self._finish(order_id, self._ready_state(order_id), warehouse_id=self.allocated[order_id])
            else:
                to_route.append(facts)
                gift = self._gift(facts, gifts_left)
                if gift is not None:
                    gifts[order_id] = gift
        to_route = self._with_gift_lines(to_route, gifts)
        self.stock = dict(snapshot)
        plans = self._plans(to_route)
        planned = [self.facts[order_id] for order_id in plans]
        if planned:
            merge_candidates_record(
                facts=planned,
                warehouses={order_id: plan.warehouse_id for order_id, plan in plans.items()},
                orders=self.orders,
                settings_row=self.settings,
                actor=self.actor,
            )
        # Everything above is written before the stock rows are locked: batches needing the same SKUs
        # queue for those locks, so the locked part is kept to checking the plans and taking the stock.
        events_flush()
        if plans:
            self.stock = {
                (row.warehouse_id, row.sku_id): StockLevel(
                    row.on_hand, row.allocated, row.safety_threshold, row.warehouse.priority
                )
                for row in lock_stocks_of_skus({sku for facts in planned for sku in facts.demand()})
            }
            self._allocate(self._confirmed(plans))
        self._save()
        self._raise_purchasing_alert()

    def _plans(self, to_route: list[OrderFacts]) -> dict[int, _Plan]:
        """Routes each order on self.stock (drawn down as it goes) and picks its carrier; orders no
        warehouse can serve are held out of stock."""
        plans = {}
        for facts in to_route:
            plan = self._route(facts)
            if isinstance(plan, str):
                self._out_of_stock(facts, f"no warehouse can ship it: {plan}")
                continue
            plan.carrier = choose_carrier(
                facts, self.warehouses[plan.warehouse_id], self.carrier_rules, facts.weight_g
            )
            self._record(facts.order_id, plan.carrier.decision)
            plans[facts.order_id] = plan
        return plans

    def _confirmed(self, plans: dict[int, _Plan]) -> dict[int, _Plan]:
        """The plans checked against the locked stock rows; an order whose units another batch took
        since the snapshot is routed again on the locked levels (all its SKUs' rows are locked)."""
        confirmed, again = {}, []
        for order_id, plan in plans.items():
            if all(self._available(r.warehouse_id, r.sku_id) >= r.quantity for r in plan.requests):
                self._draw_down(plan.requests)
                confirmed[order_id] = plan
            else:
                again.append(self.facts[order_id])
        confirmed |= self._plans(again)
        return confirmed

    def _available(self, warehouse_id: int, sku_id: int) -> int:
        level = self.stock.get((warehouse_id, sku_id))
        return level.available if level else 0

    def _draw_down(self, requests: list[AllocationRequest]) -> None:
        for request in requests:
            key = (request.warehouse_id, request.sku_id)
            self.stock[key] = replace(self.stock[key], allocated=self.stock[key].allocated + request.quantity)

    def _ready_state(self, order_id: int) -> str:
        return (
            FulfillmentState.RESERVED if self.modes[order_id] == RESERVE_ONLY else FulfillmentState.ALLOCATED
        )

    def _allocated_warehouses(self) -> dict[int, int]:
        rows = Allocation.objects.filter(
            line__order_id__in=self.modes, status=AllocationStatus.ACTIVE
        ).values_list("line__order_id", "stock__warehouse_id")
        allocated: dict[int, int] = {}
        for order_id, warehouse_id in rows.order_by("pk"):
            allocated.setdefault(order_id, warehouse_id)
        return allocated

    def _holds_known(self):
        approved = {order_id: set() for order_id in self.modes}
        open_kinds = {order_id: set() for order_id in self.modes}
        rows = Hold.objects.filter(order_id__in=self.modes).values_list(
            "order_id", "kind", "status", "resolution"
        )
        for order_id, kind, status, resolution in rows:
            if status == HoldStatus.OPEN:
                open_kinds[order_id].add(kind)
            elif kind in STAFF_OVERRIDABLE and resolution != HoldResolution.CANCEL:
                approved[order_id].add(kind)
        return approved, open_kinds

    def _record(self, order_id: int, decision: Decision) -> None:
        order_decision_event(order=self.orders[order_id], actor=self.actor, decision=decision)

    def _place_holds(self, facts: OrderFacts, ctx, approved: set[str], open_kinds: set[str]) -> set[str]:
        """Places what the hold rules decide; the kinds of the order's open holds afterwards."""
        order_id = facts.order_id
        holds = decide_holds(facts, ctx)
        if self.modes[order_id] == RESERVE_ONLY:
            # A deposit reserves stock; address and risk are judged when the balance is paid.
            holds = [hold for hold in holds if hold.kind in STOCK_HOLDS]
        if not holds:
            self._record(
                order_id,
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
                ),
            )
        kinds = set(open_kinds)
        for hold in holds:
            if hold.kind in approved:
                self._record(
                    order_id,
                    replace(
                        hold.decision,
                        outcome={**hold.decision.outcome, "placed": False},
                        reason=f"{hold.reason}; approved by staff before, not held again",
                    ),
                )
                continue
            hold_place(
                order=self.orders[order_id],
                kind=hold.kind,
                reason=hold.reason,
                actor=self.actor,
                details=hold.decision.inputs,
                level=hold.level,
            )
            self._record(order_id, hold.decision)
            kinds.add(hold.kind)
        return kinds

    def _gift(self, facts: OrderFacts, gifts_left: dict[int, int]) -> GiftDecision | None:
        """The gift a gift rule adds to the order, if any (gifts_left is drawn down)."""
        gift = gifts_for(facts, self.gift_rules, gifts_left, self.now)
        if gift is None:
            return None
        self._record(facts.order_id, gift.decision)
        if gift.gift_sku_id is None:
            return None
        gifts_left[gift.gift_sku_id] = gifts_left.get(gift.gift_sku_id, 0) - gift.quantity
        return gift

    def _with_gift_lines(
        self, to_route: list[OrderFacts], gifts: dict[int, GiftDecision]
    ) -> list[OrderFacts]:
        """Each gift as a free line mapped to its SKU, written for the whole batch at once (gifts_for
        gives nothing to an order that has one); the orders' facts with their gift lines."""
        if not gifts:
            return to_route
        skus = Sku.objects.in_bulk({gift.gift_sku_id for gift in gifts.values()})
        lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=self.orders[order_id],
                outer_sku_code=skus[gift.gift_sku_id].code,
                title=(gift.label_note or skus[gift.gift_sku_id].name)[:300],
                quantity=gift.quantity,
                unit_price=0,
                paid_amount=0,
                is_gift=True,
            )
            for order_id, gift in gifts.items()
        )
        OrderLineSku.objects.bulk_create(
            OrderLineSku(line=line, sku_id=gift.gift_sku_id, quantity=gift.quantity)
            for line, gift in zip(lines, gifts.values(), strict=True)
        )
        for line, (order_id, gift) in zip(lines, gifts.items(), strict=True):
            sku = skus[gift.gift_sku_id]
            gift_line = LineFacts(line.pk, sku.pk, sku.code, gift.quantity, sku.weight_g, is_gift=True)
            self.facts[order_id] = replace(
                self.facts[order_id], lines=(*self.facts[order_id].lines, gift_line)
            )
        return [self.facts[facts.order_id] for facts in to_route]

    def _route(self, facts: OrderFacts) -> _Plan | str:
        """The allocation plan on self.stock, or why no warehouse can ship the order."""
        order_id = facts.order_id
        routing = choose_warehouse(facts, self.options, self.stock, self.routes, self.routing_settings)
        self._record(order_id, routing.decision)
        if not routing.plan:
            return routing.decision.reason
        requests = [
            AllocationRequest(line_id, sku_id, warehouse_id, quantity)
            for warehouse_id, items in routing.plan.items()
            for line_id, sku_id, quantity in items
        ]
        # Later orders of the batch see the stock this one takes.
        self._draw_down(requests)
        first = next(iter(routing.plan))
        return _Plan(requests, first, routing.split, routing.estimated_delivery_days)

    def _allocate(self, plans: dict[int, _Plan]) -> None:
        if not plans:
            return
        outcomes = stock_allocate_many(
            orders={order_id: plan.requests for order_id, plan in plans.items()}, actor=self.actor
        )
        for order_id, plan in plans.items():
            allocated = outcomes[order_id]
            if isinstance(allocated, InsufficientStock):
                # Cannot happen while the stock rows stay locked; kept as a hold rather than a crash.
                self._out_of_stock(
                    self.facts[order_id], "stock taken meanwhile", shortfalls=allocated.shortfalls
                )
                continue
            if not isinstance(allocated, list):
                raise allocated
            carrier = plan.carrier
            self._finish(
                order_id,
                self._ready_state(order_id),
                warehouse_id=plan.warehouse_id,
                split=plan.split,
                carrier=self.carriers.get(carrier.carrier_code),
                carrier_surcharge=carrier.surcharge,
                estimated_delivery_at=self.now + timedelta(days=plan.days) if plan.days is not None else None,
            )

    def _out_of_stock(self, facts: OrderFacts, reason: str, **details) -> None:
        order = self.orders[facts.order_id]
        hold_place(
            order=order,
            kind=HoldKind.OUT_OF_STOCK,
            reason=reason,
            actor=self.actor,
            details={"demand": {line.sku_code: line.quantity for line in facts.lines}, **details},
        )
        self._finish(facts.order_id, FulfillmentState.OUT_OF_STOCK)
        self._alert_purchasing(facts)

    def _alert_purchasing(self, facts: OrderFacts) -> None:
        # Order id and SKU codes only: no receiver data in logs.
        skus = sorted({line.sku_code for line in facts.lines}) or ["unmapped lines"]
        log.warning("alert purchasing: order %s is out of stock (%s)", facts.order_id, ", ".join(skus))
        self.frozen_skus.update(skus)

    def _raise_purchasing_alert(self) -> None:
        """Once per batch: purchasing hears how many orders are frozen for want of stock or a mapping;
        the alert re-fires only when that number grows."""
        if not self.frozen_skus:
            return
        frozen = Hold.objects.filter(status=HoldStatus.OPEN, kind__in=STOCK_HOLDS).count()
        skus = ", ".join(sorted(self.frozen_skus))
        alert_raise(
            kind="purchasing",
            key="frozen orders",
            value=frozen,
            message=f"缺货或未映射冻结订单:{frozen}单 (frozen orders: {frozen}); SKU: {skus}",
            details={"skus": sorted(self.frozen_skus), "frozen_orders": frozen},
        )

    def _finish(self, order_id: int, state: str, **changes) -> None:
        record = self.records[order_id]
        record.state = state
        record.decided_at = self.now
        for name, value in changes.items():
            setattr(record, name, value)

    def _save(self) -> None:
        records = [self.records[order_id] for order_id in self.modes]
        known = [r for r in records if r.pk is not None]
        OrderFulfillment.objects.bulk_create([r for r in records if r.pk is None])
        OrderFulfillment.objects.bulk_update(
            known,
            [
                "state",
                "decided_at",
                "priority_rank",
                "warehouse",
                "split",
                "carrier",
                "carrier_surcharge",
                "estimated_delivery_at",
            ],
        )


def priority_rank(facts: OrderFacts) -> str:
    """priority_key as fixed-width text, so sorting the column sorts the queue."""
    later, unpaid, paid_ts, order_id = priority_key(facts)
    return f"{int(later)}{int(unpaid)}{round(paid_ts * 1000):015d}{order_id:012d}"
