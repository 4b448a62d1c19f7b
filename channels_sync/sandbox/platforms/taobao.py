"""The sandbox's TOP gateway: /router/rest with TOP's signature, session, window and paging rules.

Errors come as TOP sends them: HTTP 200 with `error_response{code, msg, sub_code, sub_msg}`.
Pushes are TMC messages as a relay would POST them (see platforms/taobao/push.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.taobao.client import (
    DETAIL_API,
    INCREMENT_API,
    MAX_PAGE_SIZE,
    ROUTER_PATH,
    SIGN_METHODS,
    STOCK_API,
    STOCK_RESPONSE,
    WINDOW_LIMIT,
    sign,
)
from channels_sync.platforms.taobao.mapping import DETAIL_RESPONSE, LIST_RESPONSE
from channels_sync.platforms.taobao.push import relay_signature
from channels_sync.platforms.util import beijing_time, format_beijing, unix_time
from channels_sync.sandbox.core import FakeLine, FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = True
PLATFORM = "taobao"
TIMESTAMP_TOLERANCE = timedelta(minutes=10)  # TOP refuses requests whose timestamp is further off
DEFAULT_PAGE_SIZE = 40
# The app key Taobao's own trade and refund TMC messages are published under.
TMC_PUB_APP_KEY = "12497914"

RAW_STATUS = {
    "pending_payment": "WAIT_BUYER_PAY",
    "paid": "WAIT_SELLER_SEND_GOODS",
    "shipped": "WAIT_BUYER_CONFIRM_GOODS",
    "completed": "TRADE_FINISHED",
}
TOPICS = {
    "pending_payment": "taobao_trade_TradeCreate",
    "paid": "taobao_trade_TradeBuyerPay",
    "shipped": "taobao_trade_TradeSellerShip",
    "completed": "taobao_trade_TradeSuccess",
    "cancelled": "taobao_trade_TradeClose",
}


class _Refused(Exception):
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(msg)
        self.response = _error(code, msg, sub_code, sub_msg)


def _error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> Response:
    error: dict = {"code": code, "msg": msg}
    if sub_code:
        error |= {"sub_code": sub_code, "sub_msg": sub_msg}
    return Response(200, {"error_response": error | {"request_id": _request_id()}})


def _request_id() -> str:
    return uuid.uuid4().hex[:13]


def throttled(retry_after: int) -> Response:
    return _error(
        7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
        f"This ban will last for {retry_after} more seconds",
    )  # fmt: skip


def handle(request: Request, state: SandboxState) -> Response:
    if request.path != ROUTER_PATH:
        return Response(404, {"error": f"TOP serves {ROUTER_PATH}, not {request.path}"})
    params = {**request.query, **request.form()}
    try:
        shop = _authenticate(params, state)
        api = APIS.get(params.get("method", ""))
        if api is None:
            raise _Refused(22, "Invalid method")
        return Response(200, api(params, shop, state))
    except _Refused as refused:
        return refused.response


def _authenticate(params: dict[str, str], state: SandboxState) -> SandboxShop:
    app = state.shop_by_app_key(PLATFORM, params.get("app_key", ""))
    if app is None:
        raise _Refused(29, "Invalid app Key")
    sign_method = params.get("sign_method", "md5")
    if sign_method not in SIGN_METHODS or not hmac.compare_digest(
        sign(params, app.app_secret, sign_method).encode(), params.get("sign", "").encode()
    ):
        raise _Refused(25, "Invalid signature")
    if abs(_timestamp(params.get("timestamp", "")) - datetime.now(UTC)) > TIMESTAMP_TOLERANCE:
        raise _Refused(31, "Invalid timestamp")
    if not params.get("session"):
        raise _Refused(26, "Missing session")
    shop = state.shop_by_token(PLATFORM, params["session"])
    if shop is None or not shop.token_valid or shop.app_key != app.app_key:
        raise _Refused(27, "Invalid session", "invalid-sessionkey", "SessionKey非法")
    return shop


def _timestamp(value: str) -> datetime:
    """TOP takes 'yyyy-MM-dd HH:mm:ss' in GMT+8; the official Python SDK sends epoch milliseconds."""
    try:
        moment = unix_time(value, milliseconds=True) if value.isdigit() else beijing_time(value)
    except PayloadError:
        moment = None
    if moment is None:
        raise _Refused(31, "Invalid timestamp")
    return moment


def _required(params: dict[str, str], name: str) -> str:
    if not params.get(name):
        raise _Refused(
            40, "Missing required arguments", f"isv.missing-parameter:{name}", f"{name} is required"
        )
    return params[name]


def _number(params: dict[str, str], name: str, default: int, upper: int) -> int:
    raw = params.get(name) or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= upper:
        raise _Refused(41, "Invalid arguments", f"isv.invalid-parameter:{name}", f"{name} must be 1..{upper}")
    return int(raw)


def _modified(params: dict[str, str], name: str) -> datetime:
    try:
        return beijing_time(_required(params, name))
    except PayloadError:
        raise _Refused(
            41, "Invalid arguments", f"isv.invalid-parameter:{name}", "yyyy-MM-dd HH:mm:ss"
        ) from None


def _increment_get(params: dict[str, str], shop: SandboxShop, state: SandboxState) -> dict:
    fields = _required(params, "fields")
    start, end = _modified(params, "start_modified"), _modified(params, "end_modified")
    if not timedelta(0) <= end - start <= WINDOW_LIMIT:
        raise _Refused(
            15, "Remote service error", "isv.invalid-parameter",
            "end_modified must not be before start_modified, nor more than one day after it",
        )  # fmt: skip
    page_no = _number(params, "page_no", 1, 10**6)
    page_size = _number(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    # TOP keeps whole seconds: an order modified at 10:00:00.5 has modified "10:00:00".
    found = state.modified_between(PLATFORM, shop.shop_id, start, end.replace(microsecond=999_999))
    page = found[(page_no - 1) * page_size : page_no * page_size]
    result: dict = {}
    if params.get("use_has_next") == "true":
        result["has_next"] = page_no * page_size < len(found)
    else:
        result["total_results"] = len(found)
    if page:  # TOP leaves out empty lists
        result["trades"] = {"trade": [_only(render_order(order), fields) for order in page]}
    return {LIST_RESPONSE: result | {"request_id": _request_id()}}


def _fullinfo_get(params: dict[str, str], shop: SandboxShop, state: SandboxState) -> dict:
    fields, tid = _required(params, "fields"), _required(params, "tid")
    order = state.find_order(PLATFORM, shop.shop_id, tid)
    if order is None:
        raise _Refused(15, "Remote service error", "isv.trade-not-exist", f"trade {tid} does not exist")
    return {DETAIL_RESPONSE: {"trade": _only(render_order(order), fields), "request_id": _request_id()}}


def _quantity_update(params: dict[str, str], shop: SandboxShop, state: SandboxState) -> dict:
    num_iid, quantity = _required(params, "num_iid"), params.get("quantity", "")
    if params.get("type", "1") == "1" and not quantity.isdigit():
        raise _Refused(
            41,
            "Invalid arguments",
            "isv.invalid-parameter:quantity",
            "全量更新时quantity必须为大于等于0的整数",
        )
    if not params.get("sku_id") and not params.get("outer_id"):
        raise _Refused(40, "Missing required arguments", "isv.missing-parameter:sku_id", "sku_id or outer_id")
    written = {
        name: params[name] for name in ("num_iid", "sku_id", "outer_id", "quantity", "type") if name in params
    }
    with state.lock:
        state.received.append((PLATFORM, STOCK_API, written))
    item = {"num_iid": int(num_iid), "num": int(quantity), "modified": format_beijing(datetime.now(UTC))}
    if params.get("sku_id"):
        item["skus"] = {"sku": [{"sku_id": int(params["sku_id"]), "quantity": int(quantity)}]}
    return {STOCK_RESPONSE: {"item": item, "request_id": _request_id()}}


APIS = {INCREMENT_API: _increment_get, DETAIL_API: _fullinfo_get, STOCK_API: _quantity_update}


def _only(trade: dict, fields: str) -> dict:
    """The trade cut to the requested fields; "orders" or any "orders.x" brings the sub-orders."""
    wanted = {name.strip().split(".")[0] for name in fields.split(",")}
    return {name: value for name, value in trade.items() if name in wanted}


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def raw_status(order: FakeOrder) -> str:
    if order.status == "cancelled":
        # Taobao closes an unpaid trade itself; a paid one closes only after a full refund.
        return "TRADE_CLOSED_BY_TAOBAO" if order.paid_at is None else "TRADE_CLOSED"
    return RAW_STATUS[order.status]


def render_order(order: FakeOrder) -> dict:
    status = raw_status(order)
    trade = {
        "tid": int(order.order_id),
        "tid_str": order.order_id,
        "status": status,
        "type": "fixed",
        "created": format_beijing(order.created_at),
        "modified": format_beijing(order.updated_at),
        "buyer_nick": order.buyer_id,
        "buyer_open_uid": order.buyer_id,
        "buyer_message": order.buyer_remark,
        "seller_memo": order.seller_remark,
        "total_fee": _money(order.goods_amount),
        "post_fee": _money(order.shipping_fee),
        "discount_fee": _money(order.discount),
        "adjust_fee": "0.00",
        "payment": _money(order.paid_amount),
        "receiver_name": order.receiver_name,
        "receiver_mobile": order.receiver_phone,
        "receiver_state": order.province,
        "receiver_city": order.city,
        "receiver_district": order.district,
        "receiver_address": order.detail,
        "orders": {"order": [_render_line(order, line, status) for line in order.lines]},
    }
    if order.paid_at is not None:
        trade["pay_time"] = format_beijing(order.paid_at)
    return trade


def sub_order_id(order: FakeOrder, line: FakeLine) -> str:
    return f"{order.order_id}{line.line_id.zfill(2)}"


def _render_line(order: FakeOrder, line: FakeLine, status: str) -> dict:
    oid = sub_order_id(order, line)
    return {
        "oid": int(oid),
        "oid_str": oid,
        # An item groups SKUs; any stable number derived from the SKU serves as its id here.
        "num_iid": int(line.platform_sku_id) // 100,
        "sku_id": line.platform_sku_id,
        "outer_sku_id": line.sku_code,
        "title": line.title,
        "num": line.quantity,
        "price": _money(line.unit_price),
        "total_fee": _money(line.unit_price * line.quantity),
        "payment": _money(line.unit_price * line.quantity),
        "divide_order_fee": _money(line.paid_amount),
        "status": status,
        "refund_status": "NO_REFUND",
    }


def _message_id(order: FakeOrder) -> int:
    # Stable per order version, so a duplicated push carries the same id, as TMC redeliveries do.
    return int(hashlib.sha256(f"{order.order_id}:{order.version}".encode()).hexdigest()[:15], 16)


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    content = {
        "tid": int(order.order_id),
        "status": raw_status(order),
        "type": "fixed",
        "buyer_open_uid": order.buyer_id,
        "payment": _money(order.paid_amount),
        "post_fee": _money(order.shipping_fee),
    }
    message = {
        "topic": TOPICS[order.status],
        "id": _message_id(order),
        "pub_app_key": TMC_PUB_APP_KEY,
        "pub_time": format_beijing(order.updated_at),
        "user_id": int(shop.shop_id),
        "user_nick": f"sandbox_{shop.shop_id}",
        "content": json.dumps(content, ensure_ascii=False),
    }
    return json.dumps(message, ensure_ascii=False).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Relay-App-Key": shop.app_key,
        "X-Relay-Signature": relay_signature(shop.app_secret, body),
    }
