"""The sandbox's Youzan: /auth/token, youzan.trades.sold.get, youzan.trade.get, and trade pushes.

Errors follow Youzan's two layers: the gateway answers HTTP 200 with `gw_err_resp{err_code, err_msg}`
(bad path 4001, unknown API 4005, bad token 4201-4203, throttled 4101), the business layer with
`{code, success: false, message}` (5000 for bad list parameters or an unknown trade).
"""

from __future__ import annotations

import calendar
import json
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from channels_sync.platforms.util import BEIJING, format_beijing
from channels_sync.platforms.youzan.client import (
    ITEM_QUANTITY_UPDATE,
    PAGE_DEPTH_LIMIT,
    PAGE_SIZE,
    TRADE_GET,
    TRADES_SOLD_GET,
    event_sign,
)
from channels_sync.sandbox.core import FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = True
PLATFORM = "youzan"
RAW_STATUS = {
    "pending_payment": "WAIT_BUYER_PAY",
    "paid": "WAIT_SELLER_SEND_GOODS",
    "shipped": "WAIT_BUYER_CONFIRM_GOODS",
    "completed": "TRADE_SUCCESS",
    "cancelled": "TRADE_CLOSE",
}
STATUS_TEXT = {
    "pending_payment": "待付款",
    "paid": "待发货",
    "shipped": "已发货",
    "completed": "已完成",
    "cancelled": "已关闭",
}
PUSH_TYPE = {
    "pending_payment": "trade_TradeCreate",
    "paid": "trade_TradePaid",
    "shipped": "trade_TradeSellerShip",
    "completed": "trade_TradeSuccess",
    "cancelled": "trade_TradeClose",
}
# Creation and payment messages carry the whole order; the rest name the trade only.
FULL_ORDER_PUSHES = frozenset({"trade_TradeCreate", "trade_TradePaid"})
BUSINESS_PARAM_ERROR = 5000
TOKEN_UNKNOWN_CLIENT = 1103
TOKEN_BAD_SECRET = 1000


# Refund APIs ((api, version) → handler(params, shop, state)), registered by channels_sync/sandbox/refunds.py.
REFUND_ROUTES: dict = {}


def _gateway_error(code: int, message: str) -> Response:
    return Response(200, {"gw_err_resp": {"trace_id": _trace_id(), "err_msg": message, "err_code": code}})


def _business_error(code: int, message: str) -> Response:
    return Response(
        200, {"trace_id": _trace_id(), "code": code, "data": None, "success": False, "message": message}
    )


def _ok(data: dict) -> Response:
    return Response(
        200, {"trace_id": _trace_id(), "code": 200, "data": data, "success": True, "message": "successful"}
    )


def _trace_id() -> str:
    return f"yz7-{uuid.uuid4().hex[:24]}"


def throttled(retry_after: int) -> Response:
    # Youzan's throttle answer names no wait; retry_after has nowhere to go.
    return _gateway_error(4101, "请求太频繁")


def handle(request: Request, state: SandboxState) -> Response:
    if request.path == "/auth/token":
        return _issue_token(request, state)
    parts = request.path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "api":
        return _gateway_error(4001, "非法请求地址")
    routes = {
        TRADES_SOLD_GET: _trades_sold_get,
        TRADE_GET: _trade_get,
        ITEM_QUANTITY_UPDATE: _quantity_update,
        **REFUND_ROUTES,
    }
    route = routes.get((parts[1], parts[2]))
    if route is None:
        return _gateway_error(4005, "非法的API")
    token = request.query.get("access_token", "")
    if not token:
        return _gateway_error(4201, "非法的请求凭证")
    shop = state.shop_by_token(PLATFORM, token)
    if shop is None:
        return _gateway_error(4203, "Token 不存在")
    if not shop.token_valid:
        return _gateway_error(4202, "请求凭证过期")
    try:
        params = json.loads(request.body) if request.body else dict(request.query)
    except ValueError:
        return _gateway_error(4004, "非法的Content")
    if not isinstance(params, dict):
        return _gateway_error(4004, "非法的Content")
    return route(params, shop, state)


def _quantity_update(params: dict, shop: SandboxShop, state: SandboxState) -> Response:
    quantity, kind = params.get("quantity"), params.get("type", 0)
    if not isinstance(params.get("item_id"), int):
        return _business_error(BUSINESS_PARAM_ERROR, "item_id 不能为空")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or (kind == 0 and quantity < 0):
        return _business_error(BUSINESS_PARAM_ERROR, "全量更新时 quantity 必须为大于等于 0 的整数")
    with state.lock:
        state.received.append((PLATFORM, ITEM_QUANTITY_UPDATE[0], dict(params)))
    return _ok({"is_success": True})


def _issue_token(request: Request, state: SandboxState) -> Response:
    try:
        params = json.loads(request.body or b"{}")
    except ValueError:  # Youzan reuses 1000 for a body it cannot read
        return _business_error(TOKEN_BAD_SECRET, "请求参数不是 JSON")
    shop = state.shop_by_app_key(PLATFORM, str(params.get("client_id", "")))
    if shop is None:
        return _business_error(TOKEN_UNKNOWN_CLIENT, "Client 不存在")
    if params.get("client_secret") != shop.app_secret:
        return _business_error(TOKEN_BAD_SECRET, "client_secret 不正确")
    if params.get("authorize_type") != "silent" or str(params.get("grant_id")) != shop.shop_id:
        return _business_error(TOKEN_UNKNOWN_CLIENT, "授权关系不存在")
    expires = int((time.time() + 7 * 86400) * 1000)
    token = {
        "access_token": shop.access_token,
        "expires": expires,
        "scope": "trade",
        "authority_id": shop.shop_id,
    }
    return Response(200, {"code": 200, "success": True, "message": None, "data": token})


def _parse_time(value) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _three_months_after(moment: datetime) -> datetime:
    month_index = moment.month - 1 + 3
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _trades_sold_get(params: dict, shop: SandboxShop, state: SandboxState) -> Response:
    start, end = _parse_time(params.get("start_update")), _parse_time(params.get("end_update"))
    if start is None or end is None:
        # What Youzan answers for a date without its time part.
        return _gateway_error(5001, "系统异常")
    try:
        page_no, page_size = int(params.get("page_no", 1)), int(params.get("page_size", 20))
    except (TypeError, ValueError):
        return _gateway_error(5001, "系统异常")
    if start > end:
        return _business_error(BUSINESS_PARAM_ERROR, "开始时间不能大于结束时间")
    if end > _three_months_after(start):
        return _business_error(BUSINESS_PARAM_ERROR, "查询时间跨度不能超过3个月")
    if not 1 <= page_size <= PAGE_SIZE:
        return _business_error(BUSINESS_PARAM_ERROR, "每页最多显示100条数据")
    if page_no < 1 or page_no * page_size > PAGE_DEPTH_LIMIT:
        return _business_error(BUSINESS_PARAM_ERROR, f"page_no × page_size 不能超过 {PAGE_DEPTH_LIMIT}")
    # Youzan keeps whole seconds, so end_update covers all of its second.
    found = state.modified_between(PLATFORM, shop.shop_id, start, end + timedelta(microseconds=999_999))
    page = found[(page_no - 1) * page_size : page_no * page_size]
    rows = [render_order(order) for order in page]
    return _ok({"total_results": len(found), "full_order_info_list": rows})


def _trade_get(params: dict, shop: SandboxShop, state: SandboxState) -> Response:
    order = state.find_order(PLATFORM, shop.shop_id, str(params.get("tid", "")))
    if order is None:
        return _business_error(BUSINESS_PARAM_ERROR, "trade not found")
    return _ok(_detail(order))


def _money(amount) -> str:
    return f"{amount:.2f}"


def render_order(order: FakeOrder) -> dict:
    """One `full_order_info_list` row, amounts as yuan strings, times in Beijing time."""
    shipped = order.status in {"shipped", "completed"}
    info = {
        "tid": order.order_id,
        "status": RAW_STATUS[order.status],
        "status_str": STATUS_TEXT[order.status],
        "type": 0,
        "created": format_beijing(order.created_at),
        "pay_time": format_beijing(order.paid_at) if order.paid_at else "",
        "consign_time": format_beijing(order.updated_at) if shipped else "",
        "success_time": format_beijing(order.updated_at) if order.status == "completed" else "",
        "update_time": format_beijing(order.updated_at),
        "refund_state": 0,
        "close_type": 1 if order.status == "cancelled" else 0,
        "express_type": 0,
    }
    lines = [
        {
            "oid": f"{order.order_id}{index:03d}",
            "item_id": int(line.platform_sku_id),
            "sku_id": int(line.platform_sku_id),
            "outer_item_id": "",
            "outer_sku_id": line.sku_code,
            "title": line.title,
            "num": line.quantity,
            "price": _money(line.unit_price),
            "discount_price": _money(line.unit_price),
            "total_fee": _money(line.unit_price * line.quantity),
            "payment": _money(line.paid_amount),
            "item_type": 0,
            "is_present": False,
        }
        for index, line in enumerate(order.lines, start=1)
    ]
    full = {
        "order_info": info,
        "buyer_info": {"yz_open_id": order.buyer_id, "buyer_phone": order.receiver_phone, "fans_type": 1},
        "address_info": {
            "receiver_name": order.receiver_name,
            "receiver_tel": order.receiver_phone,
            "delivery_province": order.province,
            "delivery_city": order.city,
            "delivery_district": order.district,
            "delivery_address": order.detail,
            "delivery_postal_code": "",
            "self_fetch_info": "",
        },
        "remark_info": {"buyer_message": order.buyer_remark, "trade_memo": order.seller_remark},
        "pay_info": {
            "total_fee": _money(order.goods_amount),
            "post_fee": _money(order.shipping_fee),
            "payment": _money(order.paid_amount),
        },
        "orders": lines,
    }
    return {"full_order_info": full}


def _detail(order: FakeOrder) -> dict:
    """youzan.trade.get's data, also the `msg` of pushes that carry the order."""
    promotion = {"item": [], "order": [], "adjust_fee": "0.00"}
    return {**render_order(order), "order_promotion": promotion, "refund_order": [], "delivery_order": []}


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    topic = PUSH_TYPE[order.status]
    if topic in FULL_ORDER_PUSHES:
        message = _detail(order)
    else:
        message = {"tid": order.order_id, "update_time": format_beijing(order.updated_at)}
    msg = quote_plus(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    version = int(order.updated_at.timestamp())
    body = {
        "msg": msg,
        "kdt_name": "OrderHub 演示店",
        "test": False,
        "sign": event_sign(shop.app_key, msg.encode(), shop.app_secret),
        "type": topic,
        "sendCount": 1,
        "version": version,
        "client_id": shop.app_key,
        "mode": 1,
        "kdt_id": int(shop.shop_id),
        "id": order.order_id,
        # One message per order state: a redelivery repeats the id, a later state gets a new one.
        "msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"youzan:{order.order_id}:{version}:{topic}")),
        "root_kdt_id": int(shop.shop_id),
        "status": RAW_STATUS[order.status],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    try:
        topic = str(json.loads(body)["type"])
    except (ValueError, KeyError, TypeError):
        topic = ""  # a body the fault layer cut short no longer names its type
    return {
        "Content-Type": "application/json",
        "Event-Sign": event_sign(shop.app_key, body, shop.app_secret),
        "Event-Type": topic,
        "Client-Id": shop.app_key,
    }
