"""Youzan trades → NormalizedOrder.

A raw order is a dict holding `full_order_info` (`order_info`, `buyer_info`, `address_info`,
`pay_info`, `remark_info`, `orders`): one row of youzan.trades.sold.get's `full_order_info_list`,
the `data` of youzan.trade.get, or the decoded `msg` of a push that carries the whole order.
Money is in yuan as decimal strings, times are Beijing time.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.util import beijing_time, id_text, text, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

# order_info.status → standard status. Youzan has no partial-shipment, hold or cancel-request status.
STATUS = {
    "WAIT_BUYER_PAY": "pending_payment",
    "TRADE_PAID": "paid",
    "WAIT_CONFIRM": "paid",  # paid, waiting for a group buy to fill or the shop to accept
    "WAIT_SELLER_SEND_GOODS": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_SUCCESS": "completed",
    "TRADE_CLOSE": "cancelled",
    "TRADE_CLOSED": "cancelled",
}


def identifier(value) -> str:
    return id_text(value, required=False)


def decode_msg(msg) -> dict:
    """A push's `msg`: URL-encoded JSON in which spaces arrive as '+'."""
    if not isinstance(msg, str):
        raise PayloadError(f"youzan push msg is {type(msg).__name__}, not a URL-encoded string")
    try:
        decoded = json.loads(unquote_plus(msg))
    except ValueError as exc:
        raise PayloadError(f"youzan push msg is not URL-encoded JSON: {exc}") from exc
    if not isinstance(decoded, dict):
        raise PayloadError("youzan push msg is not a JSON object")
    return decoded


def order_id_of(raw_order: dict) -> str:
    try:
        tid = identifier(raw_order["full_order_info"]["order_info"]["tid"])
    except (KeyError, TypeError) as exc:
        raise PayloadError(f"youzan order without full_order_info.order_info.tid ({exc!r})") from exc
    if not tid:
        raise PayloadError("youzan order with an empty tid")
    return tid


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except PayloadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"youzan order unreadable: {exc!r}") from exc


def _normalize(raw_order: dict) -> NormalizedOrder:
    tid = order_id_of(raw_order)
    full = raw_order["full_order_info"]
    info = full["order_info"]
    raw_status = text(info.get("status"))
    if raw_status not in STATUS:
        raise PayloadError(f"youzan order {tid}: unknown order status {raw_status!r}")
    pay = full.get("pay_info") or {}
    goods = yuan(pay.get("total_fee"))
    shipping = yuan(pay.get("post_fee"))
    paid = yuan(pay.get("payment"))
    buyer = full.get("buyer_info") or {}
    address = full.get("address_info") or {}
    remarks = full.get("remark_info") or {}
    return NormalizedOrder(
        platform="youzan",
        platform_order_id=tid,
        status=STATUS[raw_status],
        raw_status=raw_status,
        currency="CNY",
        goods_amount=goods,
        shipping_fee=shipping,
        # Youzan reports no single discount figure (coupons, points, price adjustments): it is what
        # the buyer did not pay of goods plus postage.
        discount=goods + shipping - paid,
        paid_amount=paid,
        created_at=beijing_time(info.get("created")),
        paid_at=beijing_time(info.get("pay_time")),
        updated_at=beijing_time(info.get("update_time")),
        buyer_id=identifier(buyer.get("yz_open_id") or buyer.get("buyer_id")),
        buyer_remark=text(remarks.get("buyer_message")),
        seller_remark=text(remarks.get("trade_memo")),
        # Kept as sent: Youzan may encrypt these as "$…$1$" ciphertext.
        receiver=NormalizedReceiver(
            name=text(address.get("receiver_name")),
            phone=text(address.get("receiver_tel")),
            province=text(address.get("delivery_province")),
            city=text(address.get("delivery_city")),
            district=text(address.get("delivery_district")),
            detail=text(address.get("delivery_address")),
        ),
        lines=tuple(_line(line) for line in full.get("orders") or []),
        platform_shop_id=identifier(raw_order.get("kdt_id")),
    )


def _line(line: dict) -> NormalizedLine:
    sku_id = line.get("sku_id")
    return NormalizedLine(
        # A product without variants has sku_id 0; the item itself is then the sellable unit.
        platform_sku_id=identifier(sku_id if sku_id not in (None, "", 0, "0") else line["item_id"]),
        outer_sku_code=text(line.get("outer_sku_id") or line.get("outer_item_id")),
        title=text(line.get("title")),
        quantity=int(line["num"]),
        unit_price=yuan(line.get("price")),
        paid_amount=yuan(line.get("payment")),
        platform_line_id=identifier(line.get("oid")),
    )


def extract_orders(payload) -> list[dict]:
    """Raw orders out of a trades.sold.get or trade.get answer, a push body, or a list of raw orders."""
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"youzan payload is not JSON: {exc}") from exc
    if isinstance(payload, list):
        for row in payload:
            order_id_of(row)
        return list(payload)
    if not isinstance(payload, dict):
        raise PayloadError(f"youzan payload is {type(payload).__name__}, not an object")
    if "msg" in payload and "type" in payload:
        return [_order_from_push(payload)]
    if "gw_err_resp" in payload or payload.get("success") is False:
        raise PayloadError(f"youzan error answer, not orders: {text(payload.get('message'))[:100]}")
    data = payload.get("data", payload)
    if not isinstance(data, dict):
        raise PayloadError("youzan answer without a data object")
    if "full_order_info_list" in data:
        return extract_orders(data["full_order_info_list"])
    if "full_order_info" in data:
        order_id_of(data)
        return [data]
    raise PayloadError("not a youzan trade list, trade detail or trade push")


def _order_from_push(body: dict) -> dict:
    message = decode_msg(body["msg"])
    if "full_order_info" not in message:
        tid = text(message.get("tid") or body.get("id"))
        raise PayloadError(
            f"youzan push {text(body.get('type'))} announces order {tid} only; fetch the detail"
        )
    order_id_of(message)
    # The shop is named by the push envelope, not inside the order: carry it along for the mapping.
    return {**message, "kdt_id": body.get("kdt_id")}
