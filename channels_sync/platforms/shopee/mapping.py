"""Shopee get_order_detail orders → NormalizedOrder.

A raw order is one entry of get_order_detail's `response.order_list`, fetched with the
`response_optional_fields` the client asks for. Amounts are floats in the order's local currency
(VND is integral), times unix seconds, and the recipient comes masked ("P******n").
"""

from __future__ import annotations

import json

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.util import id_text, text, unix_time, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

STATUS = {
    "UNPAID": "pending_payment",
    "READY_TO_SHIP": "paid",
    "PROCESSED": "paid",
    "RETRY_SHIP": "paid",
    "INVOICE_PENDING": "paid",
    "PENDING": "paid",
    "IN_CANCEL": "paid",
    "SHIPPED": "shipped",
    "TO_CONFIRM_RECEIVE": "shipped",
    "TO_RETURN": "shipped",
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
}
FLAGS = {"IN_CANCEL": frozenset({"cancel_requested"})}
ORDER_STATUS_PUSH = 3


def identifier(value) -> str:
    return id_text(value, required=False)


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except PayloadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"shopee order unreadable: {exc!r}") from exc


def _normalize(raw: dict) -> NormalizedOrder:
    order_sn = identifier(raw["order_sn"])
    if not order_sn:
        raise PayloadError("shopee order with an empty order_sn")
    raw_status = text(raw.get("order_status"))
    if raw_status not in STATUS:
        raise PayloadError(f"shopee order {order_sn}: unknown order_status {raw_status!r}")
    if "item_list" not in raw or "total_amount" not in raw:
        raise PayloadError(
            f"shopee order {order_sn} lacks item_list/total_amount; fetch it with response_optional_fields"
        )
    lines = tuple(_line(item) for item in raw["item_list"])
    goods = sum((line.paid_amount for line in lines), yuan(0))
    # get_order_detail has no buyer-paid postage (that is in the escrow detail); the estimate Shopee
    # puts on the order is the closest figure it carries.
    shipping = yuan(raw.get("estimated_shipping_fee"))
    paid = yuan(raw["total_amount"])
    address = raw.get("recipient_address") or {}
    return NormalizedOrder(
        platform="shopee",
        platform_order_id=order_sn,
        status=STATUS[raw_status],
        raw_status=raw_status,
        currency=text(raw.get("currency")),
        goods_amount=goods,
        shipping_fee=shipping,
        # Vouchers, coins and platform subsidies are not itemised here: the discount is what the
        # buyer did not pay of goods plus postage.
        discount=goods + shipping - paid,
        paid_amount=paid,
        created_at=unix_time(raw.get("create_time")),
        paid_at=unix_time(raw.get("pay_time")),
        updated_at=unix_time(raw.get("update_time")),
        buyer_id=identifier(raw.get("buyer_user_id") or raw.get("buyer_username")),
        buyer_remark=text(raw.get("message_to_seller")),
        seller_remark=text(raw.get("note")),
        receiver=NormalizedReceiver(
            name=text(address.get("name")),
            phone=text(address.get("phone")),
            province=text(address.get("state")),
            city=text(address.get("city")),
            district=text(address.get("district")),
            detail=text(address.get("full_address")),
        ),
        lines=lines,
        flags=FLAGS.get(raw_status, frozenset()),
    )


def _line(item: dict) -> NormalizedLine:
    model_id = item.get("model_id")
    has_model = model_id not in (None, "", 0, "0")
    quantity = int(item["model_quantity_purchased"])
    unit_price = yuan(item.get("model_discounted_price"))
    item_id = identifier(item.get("order_item_id") or item["item_id"])
    return NormalizedLine(
        # model_id 0 means the item has no variations and is itself the sellable unit.
        platform_sku_id=identifier(model_id if has_model else item["item_id"]),
        outer_sku_code=text(item.get("model_sku") or item.get("item_sku")),
        title=text(item.get("item_name")),
        quantity=quantity,
        unit_price=unit_price,
        paid_amount=unit_price * quantity,
        # order_item_id is shared by the models of one item, so the model completes the line's key.
        platform_line_id=f"{item_id}:{identifier(model_id) or '0'}",
    )


def extract_orders(payload) -> list[dict]:
    """Raw orders out of a get_order_detail answer, one detail order, or a list of them.

    get_order_list rows and order-status pushes name orders only, so they raise PayloadError.
    """
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"shopee payload is not JSON: {exc}") from exc
    if isinstance(payload, list):
        return [_detail_order(row) for row in payload]
    if not isinstance(payload, dict):
        raise PayloadError(f"shopee payload is {type(payload).__name__}, not an object")
    if "code" in payload and "shop_id" in payload:
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        if payload["code"] == ORDER_STATUS_PUSH:
            order_sn = text(data.get("ordersn"))
            raise PayloadError(f"shopee push announces order {order_sn} only; fetch the detail")
        raise PayloadError(f"shopee push code {payload['code']!r} carries no order")
    error = text(payload.get("error"))
    if error not in ("", "-"):
        raise PayloadError(f"shopee error answer, not orders: {error}")
    if "response" in payload:
        response = payload["response"]
        if not isinstance(response, dict) or not isinstance(response.get("order_list"), list):
            raise PayloadError("shopee answer without response.order_list")
        return [_detail_order(row) for row in response["order_list"]]
    return [_detail_order(payload)]


def _detail_order(row) -> dict:
    if not isinstance(row, dict) or not row.get("order_sn"):
        raise PayloadError(f"not a shopee order: {type(row).__name__} without order_sn")
    if "item_list" not in row:
        raise PayloadError(
            f"shopee order {row['order_sn']} is a list row (order_sn/status only); fetch the detail"
        )
    return row
