"""Shopify order (REST order object or orders/* webhook body) → NormalizedOrder.

Shopify has no single order status: it is read from financial_status, fulfillment_status, cancelled_at
and closed_at together, and raw_status keeps all four ("paid/fulfilled/closed").
"""

from __future__ import annotations

import json
from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.util import iso_time, text, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

FINANCIAL_STATUSES = frozenset(
    {"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"}
)
UNPAID = frozenset({"pending", "authorized"})
# REST orders carry no payment time; processed_at is the closest fact once money was taken.
MONEY_TAKEN = frozenset({"partially_paid", "paid", "partially_refunded", "refunded"})
FULFILLMENT_STATUSES = frozenset({"unfulfilled", "partial", "fulfilled", "restocked"})


def shopify_id(entity: dict, what: str) -> str:
    """The id as a string: admin_graphql_api_id's tail first, since a JS-parsed `id` may be rounded."""
    gid = entity.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith("gid://shopify/"):
        tail = gid.rsplit("/", 1)[-1]
        if tail.isdigit():
            return tail
    return plain_id(entity.get("id"), what)


def plain_id(value, what: str) -> str:
    # A float id has already lost digits above 2^53 and bool is an int subclass: refuse both.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    raise PayloadError(f"Shopify {what} is not an integer id: {value!r}")


def order_status(raw: dict) -> tuple[str, str, frozenset[str]]:
    """(standard status, raw status, flags) from the four Shopify fields."""
    financial = text(raw.get("financial_status"))
    fulfillment = raw.get("fulfillment_status") or "unfulfilled"
    cancelled, closed = bool(raw.get("cancelled_at")), bool(raw.get("closed_at"))
    raw_status = "/".join(
        [financial, fulfillment] + (["cancelled"] if cancelled else []) + (["closed"] if closed else [])
    )
    if cancelled or financial == "voided":
        return "cancelled", raw_status, frozenset()
    if financial not in FINANCIAL_STATUSES:
        raise PayloadError(f"unknown Shopify financial_status {financial!r}: add it to shopify/mapping.py")
    if fulfillment not in FULFILLMENT_STATUSES:
        raise PayloadError(
            f"unknown Shopify fulfillment_status {fulfillment!r}: add it to shopify/mapping.py"
        )
    if fulfillment == "fulfilled":
        # Goods that left are shipped whatever the payment state (manual / cash-on-delivery payments).
        return ("completed" if closed else "shipped"), raw_status, frozenset()
    if fulfillment == "restocked" or financial == "refunded":
        # Money back or goods back in stock before shipping: nothing is left to send.
        return "cancelled", raw_status, frozenset()
    flags = frozenset({"partially_shipped"}) if fulfillment == "partial" else frozenset()
    return ("pending_payment" if financial in UNPAID else "paid"), raw_status, flags


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except (KeyError, TypeError, AttributeError) as exc:
        raise PayloadError(f"unreadable Shopify order: {exc.__class__.__name__} {exc}") from exc


def _normalize(raw: dict) -> NormalizedOrder:
    status, raw_status, flags = order_status(raw)
    customer = raw.get("customer") or {}
    goods = yuan(raw["total_line_items_price"])
    discount = yuan(raw.get("total_discounts"))
    paid_at = iso_time(raw.get("processed_at")) if raw.get("financial_status") in MONEY_TAKEN else None
    return NormalizedOrder(
        platform="shopify",
        platform_order_id=shopify_id(raw, "order id"),
        status=status,
        raw_status=raw_status,
        currency=text(raw["currency"]),
        goods_amount=goods,
        shipping_fee=_shipping(raw),
        discount=discount,
        # total_price carries tax on top when taxes_included is false; it is what the buyer paid.
        paid_amount=yuan(raw["total_price"]),
        created_at=iso_time(raw.get("created_at")),
        paid_at=paid_at,
        updated_at=iso_time(raw.get("updated_at")),
        buyer_id=shopify_id(customer, "customer id") if customer else "",
        buyer_remark=text(raw.get("note")),
        receiver=_receiver(raw.get("shipping_address") or {}),
        lines=tuple(_line(item) for item in raw["line_items"]),
        flags=flags,
    )


def _shipping(raw: dict) -> Decimal:
    money_set = raw.get("total_shipping_price_set")
    if money_set:
        return yuan(money_set["shop_money"]["amount"])
    # Older payloads (and the REST fixture) only list the shipping lines.
    return sum((yuan(line.get("price")) for line in raw.get("shipping_lines") or []), Decimal("0.00"))


def _receiver(address: dict) -> NormalizedReceiver:
    """Shopify has no district; postcode and country go into the detail line so nothing is dropped."""
    name = text(address.get("name")) or " ".join(
        part for part in (text(address.get("first_name")), text(address.get("last_name"))) if part
    )
    parts = [address.get(key) for key in ("address1", "address2", "zip", "country_code")]
    return NormalizedReceiver(
        name=name,
        phone=text(address.get("phone")),
        province=text(address.get("province") or address.get("province_code")),
        city=text(address.get("city")),
        detail=", ".join(text(part) for part in parts if part),
    )


def _line(item: dict) -> NormalizedLine:
    quantity = int(item["quantity"])
    unit_price = yuan(item["price"])
    if "discount_allocations" in item:
        line_discount = sum((yuan(a["amount"]) for a in item["discount_allocations"]), Decimal("0.00"))
    else:
        line_discount = yuan(item.get("total_discount"))
    variant = item.get("variant_id")
    return NormalizedLine(
        platform_sku_id=plain_id(variant, "variant_id") if variant is not None else "",
        outer_sku_code=text(item.get("sku")),
        title=text(item.get("name") or item.get("title")),
        quantity=quantity,
        unit_price=unit_price,
        paid_amount=unit_price * quantity - line_discount,
        platform_line_id=shopify_id(item, "line item id"),
    )


def extract_orders(payload: object) -> list[dict]:
    """Raw orders out of an orders.json list, an orders/{id}.json detail or an orders/* webhook body."""
    body = payload
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise PayloadError(f"Shopify payload is not JSON: {exc}") from exc
    if isinstance(body, dict) and "refund_line_items" in body:
        raise PayloadError(f"Shopify refund {body.get('id')} of order {body.get('order_id')} is not an order")
    if isinstance(body, dict) and isinstance(body.get("orders"), list):
        orders = body["orders"]
    elif isinstance(body, dict) and isinstance(body.get("order"), dict):
        orders = [body["order"]]
    elif isinstance(body, dict) and "line_items" in body:
        orders = [body]
    else:
        orders = body
    if not isinstance(orders, list) or not all(isinstance(o, dict) and "line_items" in o for o in orders):
        raise PayloadError("not a Shopify order, order list or orders/* webhook body")
    return orders
