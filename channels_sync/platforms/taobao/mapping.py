"""Taobao / Tmall trades (TOP `Trade` and its `orders.order[]`) → NormalizedOrder.

Amounts are yuan decimal strings, times Beijing-time strings. `tid` is a JSON number that outgrows a
double for recent trades, so `tid_str` is preferred and a float id is refused rather than rounded.
"""

from __future__ import annotations

from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.util import beijing_time, id_text, status_from, text, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

NO_FLAGS: frozenset[str] = frozenset()

# Trade.status → (standard status, flags), per the proposed standard mapping in PLATFORMS.md.
STATUSES: dict[str, tuple[str, frozenset[str]]] = {
    "TRADE_NO_CREATE_PAY": ("pending_payment", NO_FLAGS),
    "WAIT_BUYER_PAY": ("pending_payment", NO_FLAGS),
    "PAY_PENDING": ("pending_payment", NO_FLAGS),
    "WAIT_PRE_AUTH_CONFIRM": ("pending_payment", NO_FLAGS),
    "WAIT_SELLER_SEND_GOODS": ("paid", NO_FLAGS),
    "SELLER_CONSIGNED_PART": ("paid", frozenset({"partially_shipped"})),
    "PAID_FORBID_CONSIGN": ("paid", frozenset({"platform_blocked"})),
    "WAIT_BUYER_CONFIRM_GOODS": ("shipped", NO_FLAGS),
    "TRADE_BUYER_SIGNED": ("shipped", NO_FLAGS),
    "TRADE_FINISHED": ("completed", NO_FLAGS),
    "TRADE_CLOSED": ("cancelled", NO_FLAGS),
    "TRADE_CLOSED_BY_TAOBAO": ("cancelled", NO_FLAGS),
}

LIST_RESPONSE = "trades_sold_increment_get_response"
DETAIL_RESPONSE = "trade_fullinfo_get_response"


def standard_status(raw_status) -> tuple[str, frozenset[str]]:
    return status_from(STATUSES, raw_status, "Taobao trade status")


def platform_id(value, what: str) -> str:
    return id_text(value, f"Taobao {what}")


def trade_id(trade: dict) -> str:
    return platform_id(trade.get("tid_str") or trade.get("tid"), "tid")


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except PayloadError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PayloadError(f"Taobao trade is unreadable: {exc.__class__.__name__} {exc}") from exc


def _normalize(trade: dict) -> NormalizedOrder:
    if not isinstance(trade, dict):
        raise PayloadError(f"a Taobao trade is a JSON object, not {type(trade).__name__}")
    status, flags = standard_status(trade.get("status"))
    lines = tuple(_line(order) for order in (trade.get("orders") or {}).get("order") or [])
    if "total_fee" in trade:
        goods = yuan(trade["total_fee"])
    else:  # a list call that did not ask for total_fee: the lines still carry price × num
        goods = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    return NormalizedOrder(
        platform="taobao",
        platform_order_id=trade_id(trade),
        status=status,
        raw_status=trade["status"],
        currency="CNY",
        goods_amount=goods,
        shipping_fee=yuan(trade.get("post_fee")),
        discount=yuan(trade.get("discount_fee")),
        paid_amount=yuan(trade.get("payment")),
        created_at=beijing_time(trade.get("created")),
        paid_at=beijing_time(trade.get("pay_time")),
        updated_at=beijing_time(trade.get("modified")),
        # buyer_nick is masked for most apps since 2021; the open uid is the stable buyer id.
        buyer_id=text(trade.get("buyer_open_uid") or trade.get("buyer_nick")),
        buyer_remark=text(trade.get("buyer_message")).strip(),
        seller_remark=text(trade.get("seller_memo")).strip(),
        receiver=NormalizedReceiver(
            name=text(trade.get("receiver_name")),
            phone=text(trade.get("receiver_mobile") or trade.get("receiver_phone")),
            province=text(trade.get("receiver_state")),
            city=text(trade.get("receiver_city")),
            district=text(trade.get("receiver_district")),
            detail=text(trade.get("receiver_address")).strip(),
        ),
        lines=lines,
        flags=flags,
        # Step (presale) trades: the deposit is paid while the trade still waits for the balance.
        deposit_paid_at=(
            beijing_time(trade.get("pay_time") or trade.get("modified"))
            if trade.get("step_trade_status") == "FRONT_PAID_FINAL_NOPAID"
            else None
        ),
    )


def _line(order: dict) -> NormalizedLine:
    # divide_order_fee is the line's share of the whole payment (shop coupons spread over lines);
    # payment alone leaves order-level discounts out.
    paid = order["divide_order_fee"] if "divide_order_fee" in order else order.get("payment")
    # An item without SKU variants has no sku_id; the item id is then the SKU the platform knows.
    sku = order.get("sku_id") or order.get("num_iid")
    return NormalizedLine(
        platform_sku_id=platform_id(sku, "sku_id"),
        outer_sku_code=text(order.get("outer_sku_id") or order.get("outer_iid")),
        title=text(order.get("title")),
        quantity=int(order["num"]),
        unit_price=yuan(order["price"]),
        paid_amount=yuan(paid),
        platform_line_id=platform_id(order.get("oid_str") or order.get("oid"), "oid"),
    )


def extract_orders(payload) -> list[dict]:
    """Trades out of an increment.get or fullinfo.get response, or a bare trade.

    TMC messages (relayed pushes) only announce a change, so they raise: fetch the detail instead.
    """
    # Imported here because push.py reads ids with this module's rules.
    from channels_sync.platforms.taobao.push import parse_message

    messages = payload if isinstance(payload, list) else [payload]
    if messages and all(isinstance(item, dict) and "topic" in item for item in messages):
        announced = parse_message(messages[0])
        raise PayloadError(
            f"Taobao TMC message {announced.topic} announces {announced.kind} {announced.external_id} only; "
            "fetch the detail"
        )
    if not isinstance(payload, dict):
        raise PayloadError(f"a Taobao payload is a JSON object, not {type(payload).__name__}")
    if "error_response" in payload:
        error = payload["error_response"] or {}
        raise PayloadError(f"Taobao error response carries no trades: code {error.get('code')!r}")
    if LIST_RESPONSE in payload:
        trades = ((payload[LIST_RESPONSE] or {}).get("trades") or {}).get("trade") or []
    elif DETAIL_RESPONSE in payload:
        trades = [(payload[DETAIL_RESPONSE] or {}).get("trade")]
    elif "tid" in payload or "tid_str" in payload:
        trades = [payload]
    else:
        raise PayloadError(
            f"not a Taobao trade list, trade detail or TMC message (keys: {sorted(payload)[:8]})"
        )
    if not isinstance(trades, list) or not all(isinstance(trade, dict) for trade in trades):
        raise PayloadError("Taobao response holds something other than trade objects")
    return trades
