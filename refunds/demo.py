"""Demo refunds for seed_demo: a few cases in different states on the demo shops' orders, through the same
refund_apply path a synced case takes. Idempotent: fixed refund ids, so a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from orderhub.events import Actor
from orderhub.models import Order, Shop
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine
from refunds.services.apply import refund_apply

ACTOR = Actor.channel("demo refunds")
# shop, order status wanted, refund id, type, raw status, share of the paid amount, reason
CASES = [
    ("demo-taobao", "paid", "DEMO-TB-1", "refund_only", "WAIT_SELLER_AGREE", "1", "不想要了"),
    ("demo-pdd", "paid", "DEMO-PDD-1", "refund_only", "2", "0.1", "多拍/拍错/不想要"),
    ("demo-douyin", "shipped", "DEMO-DY-1", "return_and_refund", "7", "1", "尺码不合适"),
    ("demo-jd", "paid", "DEMO-JD-1", "refund_only", "3", "1", "地址填错了"),
    ("demo-youzan", "completed", "DEMO-YZ-1", "refund_only", "SELLER_REFUSE_BUYER", "0.5", "质量问题"),
    ("demo-shopee", "completed", "DEMO-SP-1", "return_and_refund", "NEGOTIATING", "1", "NOT_RECEIPT"),
]


def seed_refunds_demo() -> int:
    """The cases, one per demo shop that has an order in the wanted status; the number applied."""
    applied = 0
    for shop_code, order_status, refund_id, refund_type, raw_status, share, reason in CASES:
        shop = Shop.objects.filter(code=shop_code).first()
        order = (
            Order.objects.filter(shop=shop, status=order_status).order_by("platform_paid_at", "pk").first()
            if shop
            else None
        )
        if order is None or order.platform_paid_at is None:
            continue
        amount = (order.paid_amount * Decimal(share)).quantize(Decimal("0.01"))
        first_line = order.lines.order_by("pk").first()
        moment = order.platform_paid_at + timedelta(hours=2)
        incoming = NormalizedRefund(
            platform=shop.platform,
            platform_refund_id=refund_id,
            platform_order_id=order.platform_order_id,
            refund_type=refund_type,
            raw_status=raw_status,  # Shopee's NEGOTIATING is not in the table: the demo's unmapped alarm
            amount=amount,
            currency=order.currency,
            reason=reason,
            created_at=moment,
            platform_modified_at=moment,
            buyer_id=order.buyer_id,
            lines=(
                NormalizedRefundLine(
                    platform_line_id=first_line.platform_line_id,
                    outer_sku_code=first_line.outer_sku_code,
                    quantity=first_line.quantity,
                    amount=amount,
                ),
            )
            if first_line
            else (),
        )
        refund_apply(shop=shop, incoming=incoming, actor=ACTOR, stored_at=moment + timedelta(seconds=40))
        applied += 1
    return applied
