"""A refund before shipping voids the order's waybill; after shipping it cannot, and the refund says so."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fulfillment.models import Carrier
from fulfillment.models_warehouse import Waybill
from orderhub.events import Actor
from orderhub.models import Hold, Order
from orderhub.normalized_refund import NormalizedRefund
from refunds.models import Refund
from refunds.services.apply import refund_apply
from tests.factories import line, make_order, make_shop

pytestmark = pytest.mark.django_db


def waybill_for(order, number="YT100200300"):
    carrier = Carrier.objects.get_or_create(code="yto", defaults={"name": "圆通"})[0]
    return Waybill.objects.create(
        order=order, carrier=carrier, provider="cainiao", number=number, status="active"
    )


def requested(shop, order_id, raw="WAIT_SELLER_AGREE", refund_id="RF-1"):
    incoming = NormalizedRefund(
        platform="taobao", platform_refund_id=refund_id, platform_order_id=order_id,
        refund_type="refund_only", raw_status=raw, amount=Decimal("80.00"),
        platform_modified_at=datetime.now(UTC),
    )  # fmt: skip
    outcome = refund_apply(shop=shop, incoming=incoming, actor=Actor.channel("t"))
    return Refund.objects.get(pk=outcome.refund_id)


def test_a_refund_before_shipping_voids_the_waybill_and_a_closed_refund_lifts_the_hold():
    shop = make_shop("taobao")
    order = make_order(shop, "T-1", lines=[line("SKU-A", 1, "80.00")])
    waybill = waybill_for(order)

    refund = requested(shop, "T-1")

    waybill.refresh_from_db()
    assert waybill.status == "voided" and "RF-1" in waybill.void_reason
    assert refund.events.filter(type="waybills_voided", parameters__numbers=["YT100200300"]).exists()
    assert Hold.objects.filter(order=order, kind="refund", status="open").exists()
    # The buyer withdraws the request: the order may ship again
    requested(shop, "T-1", raw="CLOSED")
    assert not Hold.objects.filter(order=order, kind="refund", status="open").exists()
    assert Refund.objects.get(pk=refund.pk).intercepted is False


def test_a_refund_after_shipping_neither_holds_nor_voids():
    shop = make_shop("taobao")
    order = make_order(shop, "T-2", lines=[line("SKU-A", 1, "80.00")])
    waybill = waybill_for(order, "YT999")
    Order.objects.filter(pk=order.pk).update(status="shipped")

    refund = requested(shop, "T-2", refund_id="RF-2")

    waybill.refresh_from_db()
    assert waybill.status == "active" and not refund.intercepted
    assert not Hold.objects.filter(order=order, kind="refund").exists()
