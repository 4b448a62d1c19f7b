"""Doudian shop orders → NormalizedOrder. Every amount is in fen; times are unix seconds."""

from __future__ import annotations

import json
from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.douyin.client import CODE_OK
from channels_sync.platforms.util import CENT, fen, text, unix_time
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

# order_status → (standard status, flags). main_status 21/22/39 (refunded) come with order_status 4.
ORDER_STATUSES: dict[int, tuple[str, frozenset[str]]] = {
    1: ("pending_payment", frozenset()),
    105: ("paid", frozenset()),
    2: ("paid", frozenset()),
    101: ("paid", frozenset({"partially_shipped"})),
    3: ("shipped", frozenset()),
    5: ("completed", frozenset()),
    4: ("cancelled", frozenset()),
}


def status_of(raw: dict) -> tuple[str, str, frozenset[str]]:
    value = raw.get("order_status")
    try:
        code = int(str(value))
    except ValueError as exc:
        raise PayloadError(
            f"Doudian order {raw.get('order_id')!r}: order_status {value!r} is not a code"
        ) from exc
    if code not in ORDER_STATUSES:
        raise PayloadError(f"Doudian order {raw.get('order_id')!r} has unknown order_status {value!r}")
    status, flags = ORDER_STATUSES[code]
    return status, str(code), flags


def _name(node) -> str:
    return text(node.get("name")) if isinstance(node, dict) else ""


def _line(sku: dict) -> NormalizedLine:
    quantity = int(sku["item_num"])
    # origin_amount is the line's price × quantity before any discount.
    origin = fen(sku.get("origin_amount"))
    return NormalizedLine(
        platform_sku_id=text(sku.get("sku_id")),
        # `code` is the seller's SKU code (商家编码); out_sku_id is an external id some ERPs set.
        outer_sku_code=text(sku.get("code") or sku.get("out_sku_id")),
        title=text(sku.get("product_name")),
        quantity=quantity,
        unit_price=(origin / quantity).quantize(CENT) if quantity else origin,
        paid_amount=fen(sku.get("pay_amount")),
        platform_line_id=text(sku.get("order_id")),
    )


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except PayloadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        order_id = raw_order.get("order_id") if isinstance(raw_order, dict) else None
        raise PayloadError(f"Doudian order {order_id!r} unreadable: {exc!r}") from exc


def _normalize(raw: dict) -> NormalizedOrder:
    status, raw_status, flags = status_of(raw)
    skus = raw.get("sku_order_list") or []
    goods = sum((fen(sku.get("origin_amount")) for sku in skus), Decimal("0.00"))
    shipping, paid = fen(raw.get("post_amount")), fen(raw.get("pay_amount"))
    address = raw.get("post_addr") or {}
    return NormalizedOrder(
        platform="douyin",
        platform_order_id=text(raw["order_id"]),
        status=status,
        raw_status=raw_status,
        currency="CNY",
        goods_amount=goods,
        shipping_fee=shipping,
        # Doudian spreads reductions over shop/platform/talent/payment promotions and price changes;
        # what the buyer did not pay of goods + shipping is the discount, so the order reconciles.
        discount=goods + shipping - paid,
        paid_amount=paid,
        created_at=unix_time(raw.get("create_time")),
        paid_at=unix_time(raw.get("pay_time")),
        updated_at=unix_time(raw.get("update_time")),
        buyer_id=text(raw.get("doudian_open_id") or raw.get("open_id")),
        buyer_remark=text(raw.get("buyer_words")),
        seller_remark=text(raw.get("seller_words")),
        # Receiver, phone and street detail arrive only as ciphertext; kept exactly as sent.
        receiver=NormalizedReceiver(
            name=text(raw.get("encrypt_post_receiver")),
            phone=text(raw.get("encrypt_post_tel")),
            province=_name(address.get("province")),
            city=_name(address.get("city")),
            district=_name(address.get("town")),
            detail=text(address.get("encrypt_detail")),
        ),
        lines=tuple(_line(sku) for sku in skus),
        platform_shop_id=text(raw.get("shop_id")),
        flags=flags,
    )


def extract_orders(payload) -> list[dict]:
    """Raw shop orders from a searchList or orderDetail answer; a push body only announces orders."""
    try:
        return _extract(payload)
    except PayloadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"Doudian payload unreadable: {exc!r}") from exc


def _extract(payload) -> list[dict]:
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"Doudian payload is not JSON: {exc}") from exc
    if isinstance(payload, list):
        ids = sorted({text(json.loads(item["data"]).get("p_id")) for item in payload})
        raise PayloadError(f"Doudian push announces order {', '.join(ids) or '?'} only; fetch the detail")
    if not isinstance(payload, dict):
        raise PayloadError(f"Doudian payload is a {type(payload).__name__}, not an object")
    if "sku_order_list" in payload:
        return [payload]
    if "code" in payload and str(payload["code"]) != str(CODE_OK):
        raise PayloadError(
            f"Doudian error answer, not orders: {payload.get('code')} {payload.get('sub_code')}"
        )
    data = payload.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"not a Doudian order payload (keys: {', '.join(sorted(payload)[:6])})")
    if isinstance(data.get("shop_order_list"), list):
        return data["shop_order_list"]
    if isinstance(data.get("shop_order_detail"), dict):
        return [data["shop_order_detail"]]
    raise PayloadError("Doudian answer holds neither shop_order_list nor shop_order_detail")
