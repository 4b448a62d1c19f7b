"""Lazada order (GetOrders row + its order items) → NormalizedOrder.

Lazada keeps a status per order item, one item per unit; the order's status is their aggregate.
"""

from __future__ import annotations

import json

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.util import id_text, iso_time, text, unix_time, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

PAID_ITEM_STATUSES = ("pending", "topack", "packed", "repacked", "ready_to_ship", "toship")
# Parcel exceptions: the goods will not reach the buyer. raw_status keeps which one it was.
EXCEPTION_ITEM_STATUSES = (
    "returned",
    "failed",
    "failed_delivery",
    "lost",
    "lost_by_3pl",
    "damaged_by_3pl",
    "shipped_back",
    "shipped_back_success",
    "shipped_back_failed",
    "package_scrapped",
)
ITEM_STATUS: dict[str, str] = {
    "unpaid": "pending_payment",
    **dict.fromkeys(PAID_ITEM_STATUSES, "paid"),
    "shipped": "shipped",
    "delivered": "completed",
    "canceled": "cancelled",
    **dict.fromkeys(EXCEPTION_ITEM_STATUSES, "cancelled"),
}
SENT = ("shipped", "completed")


def aggregate_status(item_statuses: list[str]) -> tuple[str, frozenset[str]]:
    """The order status from its items' statuses; cancelled items do not hold the others back."""
    unknown = sorted(set(item_statuses) - ITEM_STATUS.keys())
    if unknown:
        raise PayloadError(f"unknown Lazada item status {', '.join(unknown)}: add it to lazada/mapping.py")
    live = [ITEM_STATUS[raw] for raw in item_statuses if ITEM_STATUS[raw] != "cancelled"]
    if not live:
        return "cancelled", frozenset()
    if "pending_payment" in live:
        return "pending_payment", frozenset()
    if all(status == "completed" for status in live):
        return "completed", frozenset()
    if all(status in SENT for status in live):
        return "shipped", frozenset()
    if any(status in SENT for status in live):
        return "paid", frozenset({"partially_shipped"})
    return "paid", frozenset()


def lazada_id(value, what: str) -> str:
    return id_text(value, f"Lazada {what}")


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except (KeyError, TypeError, AttributeError) as exc:
        raise PayloadError(f"unreadable Lazada order: {exc.__class__.__name__} {exc}") from exc


def _normalize(raw: dict) -> NormalizedOrder:
    order_id = lazada_id(raw["order_id"], "order_id")
    items = raw.get("order_items")
    if not isinstance(items, list) or not items:
        raise PayloadError(
            f"Lazada order {order_id} has no order_items: fetch /order/items/get and attach them"
        )
    statuses = [text(item["status"]) for item in items]
    status, flags = aggregate_status(statuses)
    first = items[0]
    currency = text(first.get("currency"))
    if not currency:
        raise PayloadError(f"Lazada order {order_id}: its items carry no currency")
    goods = yuan(raw["price"])
    shipping = yuan(raw.get("shipping_fee"))
    discount = yuan(raw.get("voucher"))  # seller + platform vouchers
    payment_times = [unix_time(item.get("payment_time"), milliseconds=True) for item in items]
    return NormalizedOrder(
        platform="lazada",
        platform_order_id=order_id,
        status=status,
        raw_status=",".join(sorted(set(statuses))),
        currency=currency,
        goods_amount=goods,
        shipping_fee=shipping,
        discount=discount,
        paid_amount=goods + shipping - discount,
        created_at=iso_time(raw.get("created_at")),
        paid_at=min((moment for moment in payment_times if moment), default=None),
        updated_at=iso_time(raw.get("updated_at")),
        buyer_id=text(first.get("buyer_id")),
        buyer_remark=text(raw.get("buyer_note")),
        seller_remark=text(raw.get("remarks")),
        receiver=_receiver(raw.get("address_shipping") or {}),
        lines=tuple(_line(item) for item in items),
        flags=flags,
    )


def _receiver(address: dict) -> NormalizedReceiver:
    """address3 is the region and address5 the ward/sub-district in the layouts we have seen (unverified)."""
    name = " ".join(
        part for part in (text(address.get("first_name")), text(address.get("last_name"))) if part
    )
    detail_parts = (address.get("address1"), address.get("address2"), address.get("post_code"))
    return NormalizedReceiver(
        name=name,
        phone=text(address.get("phone")),
        province=text(address.get("address3")),
        city=text(address.get("city")),
        district=text(address.get("address5")),
        detail=", ".join(text(part) for part in detail_parts if part),
    )


def _line(item: dict) -> NormalizedLine:
    return NormalizedLine(
        platform_sku_id=text(item.get("sku_id")),
        outer_sku_code=text(item.get("sku")),
        title=text(item.get("name")),
        quantity=1,
        unit_price=yuan(item["item_price"]),
        paid_amount=yuan(item["paid_price"]),
        platform_line_id=lazada_id(item["order_item_id"], "order_item_id"),
    )


def extract_orders(payload: object) -> list[dict]:
    """Raw orders out of a GetOrders / GetOrder response (or its data), a list of orders, or a push body."""
    body = _decoded(payload)
    if isinstance(body, dict) and "message_type" in body:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        raise PayloadError(
            f"Lazada push announces order {data.get('trade_order_id', '?')} only; fetch the detail"
        )
    if isinstance(body, dict) and "code" in body:
        if str(body["code"]) != "0":
            raise PayloadError(f"Lazada error response {body['code']}: {body.get('message', '')}")
        body = body.get("data")
    if isinstance(body, dict) and "orders" in body:
        body = body["orders"]
    orders = [body] if isinstance(body, dict) and "order_id" in body else body
    if not isinstance(orders, list) or not all(isinstance(o, dict) and "order_id" in o for o in orders):
        raise PayloadError("not a Lazada order, order list or push body")
    return orders


def _decoded(payload: object) -> object:
    if isinstance(payload, bytes | str):
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"Lazada payload is not JSON: {exc}") from exc
    return payload
