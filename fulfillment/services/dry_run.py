"""A rule replayed over past paid orders: what it would have decided, writing nothing.

The same facts builder and pure rules as order_process. Stock is today's (past levels are not kept),
so the gifts, routing and carrier outcomes say what the rule would do with the stock we have now.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

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
from fulfillment.models import FulfillmentSettings
from fulfillment.rules import choose_carrier, choose_warehouse, decide_holds, gifts_for
from fulfillment.selectors import available_stock
from orderhub.exceptions import InvalidInput
from orderhub.models import Order
from orderhub.status import OrderStatus

RULES = ("holds", "gifts", "routing", "carrier")
# Paid in the window and not cancelled since: what the rule would have decided at payment.
REPLAYED_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
# Orders replayed per round of queries: bounded memory however many days are asked for.
_CHUNK = 500


@dataclass
class DryRunReport:
    rule: str
    days: int
    orders: int = 0
    counts: Counter = field(default_factory=Counter)
    sample: list[tuple[int, str, str]] = field(default_factory=list)  # order id, outcome, reason


def rules_dry_run(*, days: int, rule: str, limit_sample: int = 20) -> DryRunReport:
    if rule not in RULES:
        raise InvalidInput(
            _("Unknown rule %(rule)s; choose one of %(rules)s.") % {"rule": rule, "rules": RULES}
        )
    if not isinstance(days, int) or days < 1:
        raise InvalidInput(_("Days must be a whole number of at least 1."))
    since = timezone.now() - timedelta(days=days)
    order_ids = list(
        Order.objects.filter(status__in=REPLAYED_STATUSES, platform_paid_at__gte=since)
        .order_by("platform_paid_at", "pk")
        .values_list("pk", flat=True)
    )
    report = DryRunReport(rule=rule, days=days)
    replay = _Replay(rule)
    for start in range(0, len(order_ids), _CHUNK):
        for order_id, outcome, reason in replay.run(order_ids[start : start + _CHUNK]):
            report.orders += 1
            report.counts[outcome] += 1
            if len(report.sample) < limit_sample:
                report.sample.append((order_id, outcome, reason))
    return report


class _Replay:
    """The rule tables are read once; each chunk reads its orders' facts and stock."""

    def __init__(self, rule: str):
        self.rule = rule
        # Not current(): that creates the row when missing, and a dry-run writes nothing.
        settings = FulfillmentSettings.objects.order_by("pk").first() or FulfillmentSettings()
        self.hold_settings = hold_settings(settings)
        self.routing_settings = routing_settings(settings)
        self.gift_rules = gift_rule_facts() if rule == "gifts" else []
        self.options, self.warehouses = warehouse_options()
        self.routes = route_facts()
        self.carrier_rules = carrier_rule_facts() if rule == "carrier" else []

    def run(self, order_ids: list[int]):
        facts = order_facts(order_ids)
        skus = {sku for order in facts.values() for sku in order.demand()}
        stock = available_stock(skus | {rule.gift_sku_id for rule in self.gift_rules})
        contexts = hold_contexts(facts, self.hold_settings, stock) if self.rule == "holds" else {}
        gift_stock = stock_by_sku(stock)
        for order_id in order_ids:
            order = facts[order_id]
            if self.rule == "holds":
                holds = decide_holds(order, contexts[order_id])
                outcome = "+".join(hold.kind for hold in holds) or "none"
                yield order_id, outcome, "; ".join(hold.reason for hold in holds) or "no hold needed"
            elif self.rule == "gifts":
                gift = gifts_for(order, self.gift_rules, gift_stock, timezone.now())
                if gift is None:
                    yield order_id, "none", "no gift rule applies"
                else:
                    yield (
                        order_id,
                        gift.gift_sku_code if gift.gift_sku_id else "out_of_stock",
                        gift.decision.reason,
                    )
            else:
                routing = choose_warehouse(order, self.options, stock, self.routes, self.routing_settings)
                if self.rule == "routing" or not routing.plan:
                    codes = "+".join(self.warehouses[wh].code for wh in routing.plan) or "none"
                    yield order_id, codes, routing.decision.reason
                else:
                    first = self.warehouses[next(iter(routing.plan))]
                    carrier = choose_carrier(order, first, self.carrier_rules, order.weight_g)
                    yield order_id, carrier.carrier_code or "none", carrier.decision.reason
