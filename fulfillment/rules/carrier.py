"""Which carrier ships a parcel: designated > buyer tag > region > cheapest by weight > warehouse default."""

from dataclasses import dataclass
from decimal import Decimal

from .facts import Decision, OrderFacts
from .regions import province_in

# Rule kinds, weighed in this order (the values of fulfillment.models.CarrierRuleKind).
DESIGNATED, BUYER_TAG, REGION, WEIGHT = "designated", "buyer_tag", "region", "weight"


@dataclass(frozen=True)
class WarehouseFacts:
    warehouse_id: int
    code: str
    default_carrier: str = ""  # carrier code; empty when the warehouse has none


@dataclass(frozen=True)
class CarrierRuleFacts:
    """A rule matches when every condition it sets holds; what it must set depends on its kind."""

    rule_id: int
    name: str
    kind: str
    carrier_code: str
    provinces: frozenset[str] = frozenset()
    buyer_tags: frozenset[str] = frozenset()
    warehouse_ids: frozenset[int] = frozenset()  # empty: every warehouse
    min_weight_g: int | None = None
    max_weight_g: int | None = None
    cost: Decimal | None = None
    surcharge: Decimal = Decimal("0")
    priority: int = 100
    active: bool = True


@dataclass(frozen=True)
class CarrierDecision:
    carrier_code: str  # empty when nothing applies and the warehouse has no default
    surcharge: Decimal
    decision: Decision


def _matches(rule: CarrierRuleFacts, order: OrderFacts, warehouse: WarehouseFacts, weight_g: int) -> bool:
    tags = {tag.lower() for tag in order.buyer_tags}
    return (
        rule.active
        and (not rule.warehouse_ids or warehouse.warehouse_id in rule.warehouse_ids)
        and (not rule.provinces or province_in(order.province, rule.provinces))
        and (not rule.buyer_tags or bool(tags & {tag.lower() for tag in rule.buyer_tags}))
        and (rule.min_weight_g is None or weight_g >= rule.min_weight_g)
        and (rule.max_weight_g is None or weight_g <= rule.max_weight_g)
        # The condition that defines each kind must be set, or the rule would match everything.
        and (rule.kind != BUYER_TAG or bool(rule.buyer_tags))
        and (rule.kind != REGION or bool(rule.provinces))
        and (rule.kind != DESIGNATED or rule.carrier_code == order.designated_carrier)
    )


def choose_carrier(
    order: OrderFacts, warehouse: WarehouseFacts, rules: list[CarrierRuleFacts], weight_g: int
) -> CarrierDecision:
    inputs = {
        "designated": order.designated_carrier,
        "buyer_tags": order.buyer_tags,
        "province": order.province,
        "warehouse": warehouse.code,
        "weight_g": weight_g,
        "warehouse_default": warehouse.default_carrier,
    }
    matching = [rule for rule in rules if _matches(rule, order, warehouse, weight_g)]

    def decided(code: str, surcharge: Decimal, rule: str, reason: str) -> CarrierDecision:
        outcome = {"carrier": code, "surcharge": surcharge}
        return CarrierDecision(code, surcharge, Decision("carrier", rule, inputs, outcome, reason))

    def first(kind: str) -> CarrierRuleFacts | None:
        of_kind = [rule for rule in matching if rule.kind == kind]
        return min(of_kind, key=lambda r: (r.priority, r.rule_id), default=None)

    if order.designated_carrier:
        # A designated-kind rule for the same carrier only adds its surcharge; the buyer's choice wins anyway.
        rule = first(DESIGNATED)
        surcharge = rule.surcharge if rule else Decimal("0")
        label = f"carrier rule {rule.rule_id}: {rule.name}" if rule else "designated"
        return decided(
            order.designated_carrier, surcharge, label, "carrier designated by the buyer or platform"
        )
    for kind, why in ((BUYER_TAG, "buyer tag"), (REGION, "destination region")):
        rule = first(kind)
        if rule is not None:
            reason = f"{why}: {rule.name}" + (f", surcharge {rule.surcharge}" if rule.surcharge else "")
            return decided(
                rule.carrier_code, rule.surcharge, f"carrier rule {rule.rule_id}: {rule.name}", reason
            )
    by_weight = [rule for rule in matching if rule.kind == WEIGHT]
    if by_weight:
        # Cheapest all-in; a rule without a cost is taken only when none has one.
        rule = min(
            by_weight,
            key=lambda r: (r.cost is None, (r.cost or 0) + r.surcharge, r.priority, r.rule_id),
        )
        reason = f"cheapest for {weight_g} g: {rule.name} ({rule.cost})"
        return decided(rule.carrier_code, rule.surcharge, f"carrier rule {rule.rule_id}: {rule.name}", reason)
    if warehouse.default_carrier:
        return decided(
            warehouse.default_carrier,
            Decimal("0"),
            "warehouse default",
            f"default carrier of {warehouse.code}",
        )
    return decided("", Decimal("0"), "none", f"no carrier rule applies and {warehouse.code} has no default")
