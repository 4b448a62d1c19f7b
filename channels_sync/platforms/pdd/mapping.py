"""PDD order payloads → NormalizedOrder. Amounts are yuan floats; times are Beijing-time strings."""

from __future__ import annotations

import json
from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.pdd.client import DETAIL_ROOT, INCREMENT_ROOT
from channels_sync.platforms.util import CENT, beijing_time, text, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

# order_status; PDD never lists unpaid orders, so nothing maps to pending_payment.
ORDER_STATUSES = {1: "paid", 2: "shipped", 3: "completed"}
CONFIRM_CANCELLED = 2  # confirm_status: 0 not concluded, 1 concluded, 2 cancelled
REFUND_REFUNDED = 4  # refund_status: 1 none, 2 in progress, 3 refunding, 4 refunded
ZERO = Decimal("0.00")


def _code(raw: dict, name: str) -> int | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError as exc:
        raise PayloadError(f"PDD {name} is not a code: {value!r}") from exc


def status_of(raw: dict) -> tuple[str, str]:
    """(standard status, raw status); raw names the field that decided a cancellation."""
    order_status = _code(raw, "order_status")
    status = ORDER_STATUSES.get(order_status)
    if status is None:
        raise PayloadError(
            f"PDD order {raw.get('order_sn')!r} has unknown order_status {raw.get('order_status')!r}"
        )
    if _code(raw, "confirm_status") == CONFIRM_CANCELLED:
        return "cancelled", f"{order_status}/confirm_status={CONFIRM_CANCELLED}"
    # Refunded in full before shipping: PDD leaves order_status at "to ship" and the order is dead.
    if status == "paid" and _code(raw, "refund_status") == REFUND_REFUNDED:
        return "cancelled", f"{order_status}/refund_status={REFUND_REFUNDED}"
    return status, str(order_status)


def _discount_shares(discount: Decimal, totals: list[Decimal]) -> list[Decimal]:
    """PDD gives no per-line paid amount, so the order discount is shared out by line value."""
    goods = sum(totals, ZERO)
    if not goods:
        return [ZERO] * len(totals)
    shares = [(discount * total / goods).quantize(CENT) for total in totals[:-1]]
    return [*shares, discount - sum(shares, ZERO)]


def _lines(items: list[dict], discount: Decimal) -> tuple[NormalizedLine, ...]:
    totals = [yuan(item["goods_price"]) * int(item["goods_count"]) for item in items]
    shares = _discount_shares(discount, totals)
    return tuple(
        NormalizedLine(
            platform_sku_id=text(item.get("sku_id")),
            outer_sku_code=text(item.get("outer_id") or item.get("outer_goods_id")),
            title=text(item.get("goods_name")),
            quantity=int(item["goods_count"]),
            unit_price=yuan(item["goods_price"]),
            paid_amount=total - share,
            # PDD has no line id; an order holds each SKU once.
            platform_line_id=text(item.get("sku_id")),
        )
        for item, total, share in zip(items, totals, shares, strict=True)
    )


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except PayloadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"PDD order {_order_sn(raw_order)!r} unreadable: {exc!r}") from exc


def _order_sn(raw_order) -> str:
    return text(raw_order.get("order_sn")) if isinstance(raw_order, dict) else ""


def _normalize(raw: dict) -> NormalizedOrder:
    status, raw_status = status_of(raw)
    discount = yuan(raw.get("discount_amount"))
    return NormalizedOrder(
        platform="pdd",
        platform_order_id=text(raw["order_sn"]),
        status=status,
        raw_status=raw_status,
        currency="CNY",
        goods_amount=yuan(raw.get("goods_amount")),
        shipping_fee=yuan(raw.get("postage")),
        discount=discount,
        paid_amount=yuan(raw.get("pay_amount")),
        created_at=beijing_time(raw.get("created_time")),
        # Older payloads carry only confirm_time, the moment the paid order was concluded.
        paid_at=beijing_time(raw.get("pay_time") or raw.get("confirm_time")),
        updated_at=beijing_time(raw.get("updated_at")),
        buyer_remark=text(raw.get("buyer_memo")),
        seller_remark=text(raw.get("remark")),
        # Ciphertext while awaiting shipment, *_mask afterwards: kept exactly as PDD sends them.
        receiver=NormalizedReceiver(
            name=text(raw.get("receiver_name") or raw.get("receiver_name_mask")),
            phone=text(raw.get("receiver_phone") or raw.get("receiver_phone_mask")),
            province=text(raw.get("province")),
            city=text(raw.get("city")),
            district=text(raw.get("town")),
            detail=text(raw.get("address") or raw.get("address_mask")),
        ),
        lines=_lines(raw.get("item_list") or [], discount),
    )


def extract_orders(payload) -> list[dict]:
    """Raw orders from an increment list response, a detail response, or a PMC frame (which has none)."""
    try:
        return _extract(payload)
    except PayloadError:
        raise
    except (KeyError, TypeError, AttributeError) as exc:
        raise PayloadError(f"PDD payload unreadable: {exc!r}") from exc


def _extract(payload) -> list[dict]:
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise PayloadError(f"PDD payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError(f"PDD payload is a {type(payload).__name__}, not an object")
    if INCREMENT_ROOT in payload:
        orders = (payload[INCREMENT_ROOT] or {}).get("order_sn_list")
        if not isinstance(orders, list):
            raise PayloadError("PDD increment response without an order_sn_list")
        return orders
    if DETAIL_ROOT in payload:
        order = (payload[DETAIL_ROOT] or {}).get("order_info")
        if not isinstance(order, dict):
            raise PayloadError("PDD detail response without an order_info")
        return [order]
    if "order_sn" in payload:
        return [payload]
    if isinstance(payload.get("message"), dict):
        raise PayloadError(f"PDD PMC message announces order {_frame_tid(payload)} only; fetch the detail")
    if "error_response" in payload:
        raise PayloadError(f"PDD error response, not orders: {payload['error_response']}")
    raise PayloadError(f"not a PDD order payload (keys: {', '.join(sorted(payload)[:6])})")


def _frame_tid(frame: dict) -> str:
    try:
        return text(json.loads(frame["message"]["content"]).get("tid")) or "?"
    except (KeyError, TypeError, ValueError, AttributeError):
        return "?"
