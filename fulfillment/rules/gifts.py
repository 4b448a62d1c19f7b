"""Which gift, if any, an order gets: at most one application per order."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .facts import Decision, OrderFacts


@dataclass(frozen=True)
class GiftRuleFacts:
    rule_id: int
    name: str
    gift_sku_id: int
    gift_sku_code: str
    gift_quantity: int = 1
    trigger_sku_ids: frozenset[int] = frozenset()  # empty: any SKU
    min_paid_amount: Decimal | None = None  # None: any amount
    shop_ids: frozenset[int] = frozenset()  # empty: every shop
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    label_note: str = ""
    label_position: str = "remark"
    priority: int = 100
    active: bool = True


@dataclass(frozen=True)
class GiftDecision:
    """gift_sku_id is None when a rule matched but its gift could not be given (out of stock)."""

    rule_id: int
    gift_sku_id: int | None
    gift_sku_code: str
    quantity: int
    label_note: str
    label_position: str
    decision: Decision


def _mismatch(order: OrderFacts, rule: GiftRuleFacts, at: datetime) -> str | None:
    """Why the rule does not apply to this order, or None when it does."""
    if not rule.active:
        return "inactive"
    if rule.shop_ids and order.shop_id not in rule.shop_ids:
        return "other shop"
    if rule.starts_at is not None and at < rule.starts_at:
        return "before the rule's window"
    if rule.ends_at is not None and at > rule.ends_at:
        return "after the rule's window"
    bought = {line.sku_id for line in order.lines if not line.is_gift}
    if rule.trigger_sku_ids and not bought & rule.trigger_sku_ids:
        return "no trigger SKU"
    if rule.min_paid_amount is not None and order.paid_amount < rule.min_paid_amount:
        return f"paid {order.paid_amount} below {rule.min_paid_amount}"
    return None


def _decision(order, rule, at, outcome, reason, skipped) -> Decision:
    return Decision(
        kind="gift",
        rule=f"gift rule {rule.rule_id}: {rule.name}",
        inputs={
            "paid_amount": order.paid_amount,
            "skus": sorted(line.sku_code for line in order.lines),
            "shop_id": order.shop_id,
            "at": at,
            "skipped_rules": skipped,
        },
        outcome=outcome,
        reason=reason,
    )


def gifts_for(
    order: OrderFacts, rules: list[GiftRuleFacts], stock_available: dict[int, int], now: datetime
) -> GiftDecision | None:
    """The first applicable rule by priority whose gift is in stock; None when no rule applies.

    A rule's date window is compared with the payment time (now for an unpaid order), so a dry-run
    over past orders sees what the rule would have done then. An order that already has a gift line
    gets nothing more: re-processing must not add a second gift.
    """
    if any(line.is_gift for line in order.lines):
        return None
    at = order.paid_at or now
    ordered = order.demand()
    skipped: dict[str, str] = {}
    out_of_stock: GiftRuleFacts | None = None
    for rule in sorted(rules, key=lambda r: (r.priority, r.rule_id)):
        why_not = _mismatch(order, rule, at)
        if why_not is None:
            # The gift may also be a SKU the buyer ordered: both must fit in the stock.
            needed = rule.gift_quantity + ordered.get(rule.gift_sku_id, 0)
            available = stock_available.get(rule.gift_sku_id, 0)
            if available >= needed:
                reason = f"rule '{rule.name}' applies: {rule.gift_sku_code} × {rule.gift_quantity}"
                outcome = {
                    "gift": rule.gift_sku_code,
                    "quantity": rule.gift_quantity,
                    "label": rule.label_note,
                }
                return GiftDecision(
                    rule.rule_id,
                    rule.gift_sku_id,
                    rule.gift_sku_code,
                    rule.gift_quantity,
                    rule.label_note,
                    rule.label_position,
                    _decision(order, rule, at, outcome, reason, skipped),
                )
            why_not = f"gift {rule.gift_sku_code} out of stock ({available} available, {needed} needed)"
            out_of_stock = out_of_stock or rule
        skipped[str(rule.rule_id)] = why_not
    if out_of_stock is None:
        return None
    reason = f"no gift: {skipped[str(out_of_stock.rule_id)]}"
    return GiftDecision(
        out_of_stock.rule_id,
        None,
        out_of_stock.gift_sku_code,
        0,
        "",
        out_of_stock.label_position,
        _decision(order, out_of_stock, at, {"gift": None}, reason, skipped),
    )
