"""The sandbox's Pinduoduo: the gw-api router with md5 signing and token checks, 30-minute increment
windows with page/total_count paging, order details, and PMC frames relayed over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

from channels_sync.platforms.pdd.client import (
    DETAIL_API,
    DETAIL_ROOT,
    ERROR_PARAMETER,
    ERROR_SIGNATURE,
    ERROR_THROTTLED,
    ERROR_TOKEN_EXPIRED,
    INCREMENT_API,
    INCREMENT_ROOT,
    PAGE_SIZE,
    ROUTER_PATH,
    STOCK_API,
    STOCK_ROOT,
    WINDOW_LIMIT,
    sign,
)
from channels_sync.platforms.pdd.mapping import REFUND_REFUNDED
from channels_sync.platforms.pdd.push import relay_signature
from channels_sync.platforms.util import format_beijing
from channels_sync.sandbox.core import FakeOrder, Request, Response, SandboxShop, SandboxState
from channels_sync.sandbox.generator import platform_sku_id

PUSHES = True

ORDER_STATUS_CODES = {"paid": 1, "shipped": 2, "completed": 3, "cancelled": 1}
REFUND_NONE = 1
ALL = 5  # order_status / refund_status filter value meaning "any"
ERROR_BUSINESS = 50001  # unverified; PDD's generic business failure, used for "order not found"
PMC_TYPES = {
    "paid": "pdd_trade_TradeConfirmed",
    "shipped": "pdd_trade_TradeSellerShip",
    "completed": "pdd_trade_TradeSuccess",
    # A paid PDD order dies by a full refund, which PMC announces as refund messages.
    "cancelled": "pdd_refund_RefundAgreeAgreement",
}


# Refund APIs (type → handler(params, shop, state)), registered by channels_sync/sandbox/refunds.py.
REFUND_APIS: dict = {}


def _error(code: int, message: str, detail: str = "") -> Response:
    return Response(
        200,
        {
            "error_response": {
                "error_code": code,
                "error_msg": message,
                "sub_code": str(code),
                "sub_msg": detail,
                "request_id": str(time.time_ns() // 1000),
            }
        },
    )


def throttled(retry_after: int) -> Response:
    """PDD's throttle answer names no wait time, so `retry_after` has nowhere to go."""
    return _error(ERROR_THROTTLED, "调用过于频繁，请调整调用频率")


def handle(request: Request, state: SandboxState) -> Response:
    if request.method != "POST" or request.path != ROUTER_PATH:
        return Response(404, {"error": f"PDD serves POST {ROUTER_PATH} only"})
    params = request.form()
    shop = state.shop_by_app_key("pdd", params.get("client_id", ""))
    if shop is None:
        return _error(ERROR_PARAMETER, "参数错误", "client_id不存在")
    if not hmac.compare_digest(params.get("sign", "").encode(), sign(params, shop.app_secret).encode()):
        return _error(ERROR_SIGNATURE, "签名验证失败", "签名验证失败")
    token_shop = state.shop_by_token("pdd", params.get("access_token", ""))
    if token_shop is None or token_shop.shop_id != shop.shop_id or not token_shop.token_valid:
        return _error(ERROR_TOKEN_EXPIRED, "access_token已过期")
    if params.get("type") == INCREMENT_API:
        return _increment(params, shop, state)
    if params.get("type") == DETAIL_API:
        return _detail(params, shop, state)
    if params.get("type") == STOCK_API:
        return _quantity_update(params, state)
    if params.get("type") in REFUND_APIS:  # filled by channels_sync/sandbox/refunds.py
        return REFUND_APIS[params["type"]](params, shop, state)
    return _error(ERROR_PARAMETER, "参数错误", f"type {params.get('type')!r} is not served by the sandbox")


def _at(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, tz=UTC)


def _increment(params: dict[str, str], shop: SandboxShop, state: SandboxState) -> Response:
    try:
        start, end = int(params["start_updated_at"]), int(params["end_updated_at"])
        page, page_size = int(params.get("page", "1")), int(params.get("page_size", "100"))
        order_status, refund_status = (
            int(params.get("order_status", ALL)),
            int(params.get("refund_status", ALL)),
        )
    except (KeyError, ValueError):
        return _error(
            ERROR_PARAMETER, "参数错误", "start_updated_at, end_updated_at, page, page_size: integers"
        )
    if not 0 <= end - start <= WINDOW_LIMIT.total_seconds():
        return _error(ERROR_PARAMETER, "参数错误", "end_updated_at须大于start_updated_at且间隔不超过30分钟")
    if not 1 <= page_size <= PAGE_SIZE or page < 1:
        return _error(ERROR_PARAMETER, "参数错误", f"page从1开始, page_size取值1-{PAGE_SIZE}")
    # PDD keeps whole seconds, so an order updated at 10:00:00.5 belongs to the second 10:00:00.
    modified = state.modified_between(
        "pdd", shop.shop_id, _at(start), _at(end + 1) - timedelta(microseconds=1)
    )
    orders = [
        order
        for order in modified
        if order.status != "pending_payment"
        and order_status in (ALL, ORDER_STATUS_CODES[order.status])
        and refund_status in (ALL, _refund_status(order))
    ]
    body = {
        "order_sn_list": [render_order(order) for order in orders[(page - 1) * page_size : page * page_size]],
        "total_count": len(orders),
    }
    if params.get("use_has_next") == "true":
        body["has_next"] = page * page_size < len(orders)
    return Response(200, {INCREMENT_ROOT: body})


def _detail(params: dict[str, str], shop: SandboxShop, state: SandboxState) -> Response:
    order = state.find_order("pdd", shop.shop_id, params.get("order_sn", ""))
    if order is None or order.status == "pending_payment":
        return _error(ERROR_BUSINESS, "业务服务错误", "订单不存在")
    return Response(200, {DETAIL_ROOT: {"order_info": render_order(order)}})


def _quantity_update(params: dict[str, str], state: SandboxState) -> Response:
    quantity, update_type = params.get("quantity", ""), params.get("update_type", "1")
    if not params.get("goods_id", "").isdigit() or not (params.get("sku_id") or params.get("outer_id")):
        return _error(ERROR_PARAMETER, "参数错误", "goods_id必填, sku_id和outer_id必填一个")
    if update_type == "1" and not quantity.isdigit():
        return _error(ERROR_PARAMETER, "参数错误", "全量更新库存时quantity必须为大于等于0的正整数")
    names = ("goods_id", "sku_id", "outer_id", "quantity", "update_type")
    with state.lock:
        state.received.append(("pdd", STOCK_API, {name: params[name] for name in names if name in params}))
    return Response(200, {STOCK_ROOT: {"is_success": True}})


def _refund_status(order: FakeOrder) -> int:
    return REFUND_REFUNDED if order.status == "cancelled" else REFUND_NONE


def _yuan(amount) -> float:
    return float(amount)  # PDD sends yuan as JSON floats


def _time(moment: datetime | None) -> str:
    return format_beijing(moment) if moment else ""


def render_order(order: FakeOrder) -> dict:
    if order.status == "pending_payment":
        raise ValueError(f"PDD shows no unpaid orders; order {order.order_id} is pending payment")
    shipped = order.status in ("shipped", "completed")
    return {
        "order_sn": order.order_id,
        "order_status": ORDER_STATUS_CODES[order.status],
        "confirm_status": 1,
        "refund_status": _refund_status(order),
        "after_sales_status": 10 if order.status == "cancelled" else 0,
        "created_time": _time(order.created_at),
        "confirm_time": _time(order.paid_at),
        "pay_time": _time(order.paid_at),
        "updated_at": _time(order.updated_at),
        "shipping_time": _time(order.updated_at) if shipped else "",
        "receive_time": _time(order.updated_at) if order.status == "completed" else "",
        "tracking_number": order.tracking_number,
        "country": "中国",
        "province": order.province,
        "city": order.city,
        "town": order.district,
        "address": order.detail,
        "receiver_name": order.receiver_name,
        "receiver_phone": order.receiver_phone,
        "goods_amount": _yuan(order.goods_amount),
        "discount_amount": _yuan(order.discount),
        "seller_discount": _yuan(order.discount),
        "platform_discount": 0,
        "capital_free_discount": 0,
        "postage": _yuan(order.shipping_fee),
        "pay_amount": _yuan(order.paid_amount),
        "is_lucky_flag": 1,
        "buyer_memo": order.buyer_remark,
        "remark": order.seller_remark,
        "item_list": [
            {
                "goods_id": platform_sku_id("pdd-goods", line.sku_code),
                "sku_id": line.platform_sku_id,
                "outer_id": line.sku_code,
                "outer_goods_id": line.sku_code,
                "goods_name": line.title,
                "goods_price": _yuan(line.unit_price),
                "goods_spec": "",
                "goods_count": line.quantity,
                "goods_img": "",
            }
            for line in order.lines
        ],
    }


def _digest_id(seed: str, hex_digits: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:hex_digits], 16)


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    """A PMC `Common` frame as the relay forwards it; the same order version gives the same frame id."""
    if order.status not in PMC_TYPES:
        raise ValueError(f"PMC announces no {order.status} orders (order {order.order_id})")
    modified_ms = int(order.updated_at.timestamp() * 1000)
    content = {"mall_id": int(shop.shop_id), "tid": order.order_id}
    if order.status == "cancelled":
        content |= {
            "refund_id": _digest_id(f"refund:{order.order_id}", 10),
            "refund_fee": int(order.paid_amount * 100),  # PMC refund_fee is in fen
            "bill_type": 1,
            "modified": modified_ms,
        }
    frame = {
        "commandType": "Common",
        "id": _digest_id(f"{order.order_id}:{order.version}", 15),  # above 2^53, as PMC's ids are
        "time": modified_ms + 50,
        "sendTime": modified_ms,
        "message": {
            "type": PMC_TYPES[order.status],
            "mallID": int(shop.shop_id),
            "content": json.dumps(content, ensure_ascii=False, separators=(",", ":")),
        },
    }
    return json.dumps(frame, ensure_ascii=False).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Relay-Client-Id": shop.app_key,
        "X-Relay-Signature": relay_signature(body, shop.app_secret),
    }
