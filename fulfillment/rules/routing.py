"""Which warehouse (or warehouses) ships an order: region rules, safety thresholds, fewest splits."""

from dataclasses import dataclass
from itertools import combinations

from .facts import Decision, OrderFacts, StockLevel
from .regions import province_in


@dataclass(frozen=True)
class WarehouseOption:
    warehouse_id: int
    code: str
    priority: int = 100
    regions: frozenset[str] = frozenset()  # provinces served without a rule; empty: nationwide
    active: bool = True


@dataclass(frozen=True)
class RouteWarehouse:
    warehouse_id: int
    rank: int = 1
    delivery_days: int = 2


@dataclass(frozen=True)
class RouteFacts:
    rule_id: int
    name: str
    provinces: frozenset[str]
    warehouses: tuple[RouteWarehouse, ...]
    priority: int = 100
    active: bool = True


@dataclass(frozen=True)
class RoutingSettings:
    split_allowed: bool = True
    # Promise for a warehouse reached without a routing rule (its own region coverage).
    default_delivery_days: int = 3


PlanItem = tuple[int, int, int]  # line_id, sku_id, quantity


@dataclass(frozen=True)
class RoutingDecision:
    """plan is empty when nothing can serve the order; the reason says why."""

    plan: dict[int, list[PlanItem]]
    split: bool
    estimated_delivery_days: int | None
    decision: Decision


def _candidates(order, options, routes, settings) -> tuple[list[tuple[WarehouseOption, int]], str]:
    """Warehouses in the order to try, with their promised days: the matching rule's list by rank,
    then the other warehouses covering the province by their own regions, by priority."""
    active = {option.warehouse_id: option for option in options if option.active}
    route = next(
        (
            r
            for r in sorted(routes, key=lambda r: (r.priority, r.rule_id))
            if r.active and province_in(order.province, r.provinces)
        ),
        None,
    )
    listed = []
    if route is not None:
        for entry in sorted(route.warehouses, key=lambda w: (w.rank, w.warehouse_id)):
            if entry.warehouse_id in active:
                listed.append((active[entry.warehouse_id], entry.delivery_days))
    seen = {option.warehouse_id for option, _ in listed}
    covering = sorted(
        (
            option
            for option in active.values()
            if option.warehouse_id not in seen
            and (not option.regions or province_in(order.province, option.regions))
        ),
        key=lambda o: (o.priority, o.code),
    )
    listed += [(option, settings.default_delivery_days) for option in covering]
    return listed, (f"routing rule {route.rule_id}: {route.name}" if route else "warehouse regions")


def _capacity(level: StockLevel | None, keep_safety: bool) -> int:
    if level is None:
        return 0
    return max(0, level.available - (level.safety_threshold if keep_safety else 0))


def _fill(order, group, stock, keep_safety) -> dict[int, list[PlanItem]] | None:
    """Lines filled from the group's warehouses in order, a line split only when one cannot hold it;
    None when the group together lacks stock."""
    left = {(wh.warehouse_id, sku): _capacity(stock.get((wh.warehouse_id, sku)), keep_safety)
            for wh, _ in group for sku in order.demand()}  # fmt: skip
    plan: dict[int, list[PlanItem]] = {}
    for line in order.lines:
        need = line.quantity
        # Whole lines first: the first warehouse of the group that can hold all of it takes it.
        whole = next((wh for wh, _ in group if left[(wh.warehouse_id, line.sku_id)] >= need), None)
        sources = [whole] if whole is not None else [wh for wh, _ in group]
        for wh in sources:
            take = min(need, left[(wh.warehouse_id, line.sku_id)])
            if take:
                left[(wh.warehouse_id, line.sku_id)] -= take
                plan.setdefault(wh.warehouse_id, []).append((line.line_id, line.sku_id, take))
                need -= take
        if need:
            return None
    return plan


def _best_plan(order, candidates, stock, split_allowed):
    """Fewest warehouses first; among equals, the earliest in the candidate order. Safety thresholds
    are kept if at all possible; only when no plan keeps them is one allowed below them."""
    sizes = range(1, len(candidates) + 1) if split_allowed else range(1, 2)
    for keep_safety in (True, False):
        # If all of them together cannot serve it, no combination can: skip the 2^n search.
        if _fill(order, candidates, stock, keep_safety) is None:
            continue
        for size in sizes:
            for group in combinations(candidates, size):
                plan = _fill(order, group, stock, keep_safety)
                if plan is not None:
                    return plan, group, keep_safety
    return None, (), True


def choose_warehouse(
    order: OrderFacts,
    options: list[WarehouseOption],
    stock: dict[tuple[int, int], StockLevel],
    routes: list[RouteFacts],
    settings: RoutingSettings,
) -> RoutingDecision:
    candidates, rule = _candidates(order, options, routes, settings)
    codes = {option.warehouse_id: option.code for option in options}
    demand = order.demand()
    sku_codes = {line.sku_id: line.sku_code for line in order.lines}
    inputs = {
        "province": order.province,
        "demand": {sku_codes[sku]: qty for sku, qty in demand.items()},
        "candidates": [
            {
                "warehouse": option.code,
                "delivery_days": days,
                "stock": {
                    sku_codes[sku]: {"available": level.available, "safety": level.safety_threshold}
                    for sku in demand
                    if (level := stock.get((option.warehouse_id, sku))) is not None
                },
            }
            for option, days in candidates
        ],
        "split_allowed": settings.split_allowed,
    }
    if not order.lines:
        reason = "nothing to ship: no mapped lines"
        plan, group, keep_safety = {}, (), True
    elif not candidates:
        reason = f"no active warehouse serves {order.province or 'an unknown province'}"
        plan, group, keep_safety = {}, (), True
    else:
        plan, group, keep_safety = _best_plan(order, candidates, stock, settings.split_allowed)
        plan = plan or {}
        if not plan:
            reason = "no warehouse has the stock" + (
                "" if settings.split_allowed else " and splitting is off"
            )
        else:
            used = ", ".join(codes[wh_id] for wh_id in plan)
            reason = f"{'split over' if len(plan) > 1 else 'shipped from'} {used}"
            skipped = [option.code for option, _ in candidates[: candidates.index(group[0])]]
            if skipped:
                reason += f"; {', '.join(skipped)} skipped (short of stock or below safety)"
            if not keep_safety:
                reason += "; below the safety threshold, as no warehouse could keep it"
    days = max((d for option, d in group if option.warehouse_id in plan), default=None)
    outcome = {
        "plan": {codes[wh]: [list(item) for item in items] for wh, items in plan.items()},
        "split": len(plan) > 1,
        "estimated_delivery_days": days,
        "below_safety": bool(plan) and not keep_safety,
    }
    decision = Decision(kind="warehouse", rule=rule, inputs=inputs, outcome=outcome, reason=reason)
    return RoutingDecision(plan, len(plan) > 1, days, decision)
