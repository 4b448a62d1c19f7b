"""Reads that turn rows into the plain facts the rules decide on (fulfillment/rules/).

Batched, so a dry-run over thousands of past orders costs a handful of queries, and order_process
(one order) runs the very same code. Nothing here writes.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from fulfillment.address import check_addresses
from fulfillment.models import (
    BuyerTag,
    CarrierRule,
    FulfillmentSettings,
    GiftRule,
    RoutingRule,
    Warehouse,
)
from fulfillment.rules import (
    CarrierRuleFacts,
    GiftRuleFacts,
    HoldContext,
    HoldSettings,
    LineFacts,
    OrderFacts,
    PresaleDecision,
    PresaleFacts,
    RouteFacts,
    RouteWarehouse,
    RoutingSettings,
    WarehouseFacts,
    WarehouseOption,
    presale_state,
)
from fulfillment.selectors import StockLevel
from orderhub.models import Order, OrderLine, OrderLineSku


def _placed_at():
    """When the buyer placed the order: the platform's time, else when we received it."""
    return Coalesce(F("platform_created_at"), F("created_at"))


def order_facts(order_ids: list[int]) -> dict[int, OrderFacts]:
    """order id → its facts; lines mapped to our SKUs give one LineFacts per SKU. Four queries of
    plain values: building model instances cost more than the queries on the hot path."""
    orders = list(
        Order.objects.filter(pk__in=order_ids).values(
            "pk",
            "shop_id",
            "shop__platform",
            "buyer_id",
            "receiver_phone_hash",
            "receiver_province",
            "receiver_city",
            "receiver_district",
            "receiver_detail",
            "paid_amount",
            "platform_paid_at",
            "is_cod",
            "is_priority",
        )
    )
    mapped = defaultdict(list)
    for line_id, *item in (
        OrderLineSku.objects.filter(line__order_id__in=order_ids)
        .order_by("line_id", "sku_id")
        .values_list("line_id", "sku_id", "sku__code", "quantity", "sku__weight_g")
    ):
        mapped[line_id].append(item)
    lines_of = defaultdict(list)
    for line_id, order_id, is_gift in (
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values_list("pk", "order_id", "is_gift")
    ):
        lines_of[order_id].append((line_id, is_gift))
    tags = defaultdict(set)
    buyers = {order["buyer_id"] for order in orders if order["buyer_id"]}
    for platform, buyer_id, tag in BuyerTag.objects.filter(buyer_id__in=buyers).values_list(
        "platform", "buyer_id", "tag"
    ):
        tags[(platform, buyer_id)].add(tag)
    facts = {}
    for order in orders:
        lines, unmapped = [], []
        for line_id, is_gift in lines_of[order["pk"]]:
            if not mapped[line_id]:
                unmapped.append(line_id)
            lines += [
                LineFacts(line_id, sku_id, code, quantity, weight_g, is_gift)
                for sku_id, code, quantity, weight_g in mapped[line_id]
            ]
        platform = order["shop__platform"]
        facts[order["pk"]] = OrderFacts(
            order_id=order["pk"],
            shop_id=order["shop_id"],
            platform=platform,
            buyer_id=order["buyer_id"],
            phone_hash=order["receiver_phone_hash"],
            province=order["receiver_province"],
            city=order["receiver_city"],
            district=order["receiver_district"],
            detail=order["receiver_detail"],
            paid_amount=order["paid_amount"],
            paid_at=order["platform_paid_at"],
            is_cod=order["is_cod"],
            is_priority=order["is_priority"],
            buyer_tags=frozenset(tags[(platform, order["buyer_id"])]),
            lines=tuple(lines),
            unmapped_line_ids=tuple(unmapped),
        )
    return facts


def hold_settings(settings: FulfillmentSettings) -> HoldSettings:
    return HoldSettings(
        address_check=settings.address_check,
        risk_check=settings.risk_check,
        risk_orders_per_phone_24h=settings.risk_orders_per_phone_24h,
        risk_first_order_amount=settings.risk_first_order_amount,
        stock_check=settings.stock_check,
    )


def routing_settings(settings: FulfillmentSettings) -> RoutingSettings:
    return RoutingSettings(split_allowed=settings.split_allowed)


@dataclass(frozen=True)
class _Placed:
    pk: int
    phone_hash: str
    platform: str
    buyer_id: str
    at: object  # datetime


def hold_contexts(
    facts: dict[int, OrderFacts], settings: HoldSettings, stock: dict[tuple[int, int], StockLevel]
) -> dict[int, HoldContext]:
    """order id → what the hold rules need beyond the order. One query for the buyers' other orders;
    `stock` is available_stock over every SKU of these orders."""
    hashes = {f.phone_hash for f in facts.values() if f.phone_hash}
    buyers = {f.buyer_id for f in facts.values() if f.buyer_id}
    others = Order.objects.annotate(placed=_placed_at()).filter(
        Q(receiver_phone_hash__in=hashes) | Q(buyer_id__in=buyers)
    )
    placed = [
        _Placed(*row)
        for row in others.values_list("pk", "receiver_phone_hash", "shop__platform", "buyer_id", "placed")
    ]
    by_pk = {row.pk: row for row in placed}
    by_phone, by_buyer = defaultdict(list), defaultdict(list)
    for row in placed:
        by_phone[row.phone_hash].append(row)
        by_buyer[(row.platform, row.buyer_id)].append(row)
    by_sku = stock_by_sku(stock)
    addresses = dict(
        zip(
            facts,
            check_addresses([(f.province, f.city, f.district, f.detail) for f in facts.values()]),
            strict=True,
        )
    )
    contexts = {}
    for order_id, order in facts.items():
        me = by_pk.get(order_id)
        at = me.at if me else None
        same_phone = by_phone[order.phone_hash] if order.phone_hash else []
        same_buyer = by_buyer[(order.platform, order.buyer_id)] if order.buyer_id else []
        # Ties in time go by id: of two orders placed in the same second, the later one counts the earlier.
        earlier = [r for r in same_phone + same_buyer if at is None or (r.at, r.pk) < (at, order_id)]
        in_24h = {
            r.pk
            for r in same_phone
            if at is None or (at - timedelta(hours=24) <= r.at and (r.at, r.pk) <= (at, order_id))
        }
        contexts[order_id] = HoldContext(
            settings=settings,
            orders_by_phone_24h=len(in_24h | {order_id}),
            is_first_order=not earlier,
            address=addresses[order_id],
            stock_by_sku={sku: by_sku.get(sku, 0) for sku in order.demand()},
        )
    return contexts


def warehouse_options() -> tuple[list[WarehouseOption], dict[int, WarehouseFacts]]:
    """Every warehouse as routing sees it, and as carrier selection sees it (with its default carrier)."""
    rows = Warehouse.objects.select_related("default_carrier").order_by("priority", "code")
    options, facts = [], {}
    for wh in rows:
        options.append(WarehouseOption(wh.pk, wh.code, wh.priority, frozenset(wh.regions or ()), wh.active))
        carrier = wh.default_carrier.code if wh.default_carrier and wh.default_carrier.active else ""
        facts[wh.pk] = WarehouseFacts(wh.pk, wh.code, carrier)
    return options, facts


def route_facts() -> list[RouteFacts]:
    rules = RoutingRule.objects.prefetch_related("warehouses")
    return [
        RouteFacts(
            rule_id=rule.pk,
            name=rule.name,
            provinces=frozenset(rule.provinces or ()),
            warehouses=tuple(
                RouteWarehouse(entry.warehouse_id, entry.rank, entry.delivery_days)
                for entry in rule.warehouses.all()
            ),
            priority=rule.priority,
            active=rule.active,
        )
        for rule in rules
    ]


def carrier_rule_facts() -> list[CarrierRuleFacts]:
    rules = CarrierRule.objects.select_related("carrier").prefetch_related("warehouses")
    return [
        CarrierRuleFacts(
            rule_id=rule.pk,
            name=rule.name,
            kind=rule.kind,
            carrier_code=rule.carrier.code,
            provinces=frozenset(rule.provinces or ()),
            buyer_tags=frozenset(rule.buyer_tags or ()),
            warehouse_ids=frozenset(wh.pk for wh in rule.warehouses.all()),
            min_weight_g=rule.min_weight_g,
            max_weight_g=rule.max_weight_g,
            cost=rule.cost,
            surcharge=rule.surcharge or Decimal("0"),
            priority=rule.priority,
            active=rule.active and rule.carrier.active,
        )
        for rule in rules
    ]


def gift_rule_facts() -> list[GiftRuleFacts]:
    rules = GiftRule.objects.select_related("gift_sku").prefetch_related("trigger_skus", "shops")
    return [
        GiftRuleFacts(
            rule_id=rule.pk,
            name=rule.name,
            gift_sku_id=rule.gift_sku_id,
            gift_sku_code=rule.gift_sku.code,
            gift_quantity=rule.gift_quantity,
            trigger_sku_ids=frozenset(sku.pk for sku in rule.trigger_skus.all()),
            min_paid_amount=rule.min_paid_amount,
            shop_ids=frozenset(shop.pk for shop in rule.shops.all()),
            starts_at=rule.starts_at,
            ends_at=rule.ends_at,
            label_note=rule.label_note,
            label_position=rule.label_position,
            priority=rule.priority,
            active=rule.active,
        )
        for rule in rules
    ]


def stock_by_sku(stock: dict[tuple[int, int], StockLevel]) -> dict[int, int]:
    """Units available per SKU over the active warehouses (what gifts_for reads)."""
    total = defaultdict(int)
    for (_warehouse, sku_id), level in stock.items():
        total[sku_id] += max(0, level.available)
    return dict(total)


def presale_deadline(order: Order, settings: FulfillmentSettings):
    """When a presale's balance is due: the platform's deadline, else the deposit time plus the
    configured number of days."""
    if order.presale_balance_due_at is not None:
        return order.presale_balance_due_at
    if order.presale_deposit_paid_at is None:
        return None
    return order.presale_deposit_paid_at + timedelta(days=settings.presale_balance_days)


def presale_decision(order: Order, settings: FulfillmentSettings, now) -> PresaleDecision:
    """Where an order waiting for its balance stands now (presale_state over the order's own dates)."""
    presale = PresaleFacts(order.pk, order.presale_deposit_paid_at, None)
    return presale_state(presale, now, presale_deadline(order, settings))
