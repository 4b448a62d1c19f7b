"""A month of orders for bench_reconcile, written in bulk: lines, gifts, merged and split orders, refunds
in every state. Everything belongs to one throw-away shop, dropped afterwards."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from fulfillment.models_decisions import MergeGroup, OrderFulfillment
from orderhub.models import Order, OrderEvent, OrderLine, Shop
from refunds.models import Refund, RefundLine, RefundStatus, RefundType
from refunds.reconciliation import Period

BENCH_SHOP = "bench-reconcile"
BATCH = 5000
PRICES = [Decimal(p) for p in ("19.90", "39.00", "59.90", "88.00", "129.00", "199.00", "299.00")]


def bench_data_drop(shop: Shop | None = None) -> None:
    shop = shop or Shop.objects.filter(code=BENCH_SHOP).first()
    if shop is None:
        return
    orders = Order.objects.filter(shop=shop)
    RefundLine.objects.filter(refund__shop=shop).delete()
    Refund.objects.filter(shop=shop).delete()
    groups = set(OrderFulfillment.objects.filter(order__shop=shop).values_list("merge_group_id", flat=True))
    OrderFulfillment.objects.filter(order__shop=shop).delete()
    MergeGroup.objects.filter(pk__in=groups - {None}).delete()
    OrderLine.objects.filter(order__shop=shop).delete()
    OrderEvent.objects.filter(order__shop=shop).delete()
    orders.delete()
    shop.delete()


def bench_data_create(*, orders: int, period: Period, seed: int = 20261001) -> Shop:
    bench_data_drop()
    rng = random.Random(seed)
    shop = Shop.objects.create(
        platform="taobao", code=BENCH_SHOP, name="bench reconciliation", platform_shop_id="bench-reconcile",
        pull_enabled=False, active=False,
    )  # fmt: skip
    span = (period.end - period.start).total_seconds()
    for start in range(0, orders, BATCH):
        count = min(BATCH, orders - start)
        with transaction.atomic():
            _batch(shop, rng, start, count, period, span)
    return shop


def _batch(shop: Shop, rng: random.Random, start: int, count: int, period: Period, span: float) -> None:
    rows = []
    for n in range(start, start + count):
        paid_at = period.start + timedelta(seconds=span * (n + rng.random()) / max(count + start, 1) % span)
        price = rng.choice(PRICES)
        quantity = rng.choice((1, 1, 1, 2))
        status = rng.choices(("paid", "shipped", "completed", "cancelled"), weights=(10, 20, 65, 5))[0]
        rows.append(
            Order(
                shop=shop, platform_order_id=f"B{n:08d}", status=status, raw_status=status.upper(),
                paid_amount=price * quantity, goods_amount=price * quantity, platform_paid_at=paid_at,
                platform_created_at=paid_at, platform_updated_at=paid_at, buyer_id=f"buyer-{n % 40000}",
            )
        )  # fmt: skip
    created = Order.objects.bulk_create(rows, batch_size=1000)
    if not created or created[0].pk is None:  # backends that do not return ids
        created = list(
            Order.objects.filter(shop=shop, platform_order_id__in=[o.platform_order_id for o in rows])
        )
    lines, fulfilments, refunds = [], [], []
    group = None
    for index, order in enumerate(created):
        lines.append(OrderLine(order=order, outer_sku_code="SKU-A", title="商品", quantity=1,
                               unit_price=order.paid_amount, paid_amount=order.paid_amount))  # fmt: skip
        if index % 20 == 0:  # a gift: no money
            lines.append(
                OrderLine(order=order, outer_sku_code="FP-001", title="赠品", quantity=1, is_gift=True)
            )
        if index % 20 in (1, 2):  # merged pairs
            if index % 20 == 1:
                group = MergeGroup.objects.create()
            fulfilments.append(OrderFulfillment(order=order, merge_group=group, state="allocated"))
        elif index % 50 == 3:
            fulfilments.append(OrderFulfillment(order=order, split=True, state="allocated"))
        if index % 10 == 4 or order.status == "cancelled":
            full = order.status == "cancelled" or index % 30 == 4
            status = rng.choice((RefundStatus.REFUNDED, RefundStatus.REFUNDED, RefundStatus.REQUESTED,
                                 RefundStatus.REJECTED))  # fmt: skip
            refunds.append(
                Refund(
                    shop=shop, platform_refund_id=f"R{order.platform_order_id}",
                    platform_order_id=order.platform_order_id,
                    order=order, type=RefundType.REFUND_ONLY, raw_status=status, status=status,
                    amount=order.paid_amount if full else (order.paid_amount / 2).quantize(Decimal("0.01")),
                    platform_created_at=order.platform_paid_at, platform_modified_at=order.platform_paid_at,
                )
            )  # fmt: skip
    OrderLine.objects.bulk_create(lines, batch_size=2000)
    OrderFulfillment.objects.bulk_create(fulfilments, batch_size=2000)
    Refund.objects.bulk_create(refunds, batch_size=2000)
