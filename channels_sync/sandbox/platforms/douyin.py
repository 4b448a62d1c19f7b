"""The sandbox's Doudian (抖店): signed POST /{path} calls with param_json bodies, token checks, an
update-time window with page/size paging, order details, and signed message pushes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from channels_sync.platforms.douyin.client import (
    API_VERSION,
    CODE_BUSINESS_FAILED,
    CODE_BUSINESS_PARAMETER,
    CODE_OK,
    CODE_PLATFORM_PARAMETER,
    CODE_THROTTLED,
    DETAIL_METHOD,
    PAGE_SIZE,
    SEARCH_METHOD,
    SIGN_METHOD,
    STOCK_METHOD,
    SUB_SIGNATURE_INVALID,
    SUB_TOKEN_EXPIRED,
    SUB_TOKEN_MISMATCH,
    SUB_TOKEN_UNKNOWN,
    WINDOW_LIMIT,
    sign,
)
from channels_sync.platforms.douyin.push import event_sign
from channels_sync.sandbox.core import FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = True

CODE_API_OFF = 70000
STATUS_CODES = {"pending_payment": 1, "paid": 2, "shipped": 3, "completed": 5, "cancelled": 4}
STATUS_TEXT = {1: "待支付", 2: "备货中", 3: "已发货", 4: "已关闭", 5: "已完成"}
REFUNDED_BEFORE_SHIPMENT = 21  # main_status
PUSH_TAGS = {"pending_payment": 100, "paid": 101, "shipped": 102, "completed": 103, "cancelled": 106}


# After-sale methods (method → handler(params, shop, state)), registered by channels_sync/sandbox/refunds.py.
REFUND_METHODS: dict = {}


def _envelope(
    code: int, data: dict | None, msg: str = "success", sub_code: str = "", sub_msg: str = ""
) -> Response:
    return Response(
        200,
        {
            "code": code,
            "msg": msg,
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            "log_id": time.strftime("%Y%m%d%H%M%S") + str(time.time_ns())[-14:],
            "data": data,
        },
    )


def throttled(retry_after: int) -> Response:
    """Doudian's throttle answer names no wait time, so `retry_after` has nowhere to go."""
    return _envelope(CODE_THROTTLED, None, "触发限流，请稍后重试")


def _platform_error(sub_code: str, sub_msg: str) -> Response:
    return _envelope(CODE_PLATFORM_PARAMETER, None, "非法的参数（平台校验）", sub_code, sub_msg)


def _business_error(sub_msg: str) -> Response:
    return _envelope(
        CODE_BUSINESS_PARAMETER, None, "非法的参数（业务校验）", "isv.parameter-invalid", sub_msg
    )


def handle(request: Request, state: SandboxState) -> Response:
    query = request.query
    method = query.get("method", "")
    served = {SEARCH_METHOD: _search, DETAIL_METHOD: _detail, STOCK_METHOD: _sync_stock, **REFUND_METHODS}
    if request.method != "POST" or method not in served or request.path != "/" + method.replace(".", "/"):
        return _envelope(CODE_API_OFF, None, "接口服务已下线", "isp.api-service-off", "API不存在或API已下线")
    shop = state.shop_by_app_key("douyin", query.get("app_key", ""))
    if shop is None:
        return _platform_error("isv.app-id-invalid", "认证失败，app_key不存在")
    body = request.body.decode()
    expected = sign(shop.app_key, shop.app_secret, method, body, query.get("timestamp", ""))
    if (
        query.get("v") != API_VERSION
        or query.get("sign_method") != SIGN_METHOD
        or not hmac.compare_digest(query.get("sign", "").encode(), expected.encode())
    ):
        return _platform_error(SUB_SIGNATURE_INVALID, "签名校验失败")
    token_shop = state.shop_by_token("douyin", query.get("access_token", ""))
    if token_shop is None:
        return _platform_error(SUB_TOKEN_UNKNOWN, "access_token不存在，请使用最新的access_token访问")
    if token_shop.shop_id != shop.shop_id:
        return _platform_error(SUB_TOKEN_MISMATCH, "app_key和access_token不匹配，请仔细检查")
    if not token_shop.token_valid:
        return _platform_error(SUB_TOKEN_EXPIRED, "access_token已过期")
    try:
        params = json.loads(body or "{}")
    except ValueError:
        params = None
    if not isinstance(params, dict):
        return _platform_error("isv.parameter-format-invalid", "业务参数json解析失败")
    return served[method](params, shop, state)


def _at(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, tz=UTC)


def _search(params: dict, shop: SandboxShop, state: SandboxState) -> Response:
    try:
        start, end = int(params["update_time_start"]), int(params["update_time_end"])
        page, size = int(params.get("page", 0)), int(params.get("size", 10))
    except (KeyError, TypeError, ValueError):
        return _business_error("update_time_start, update_time_end, page, size: integers")
    if not 0 <= end - start <= WINDOW_LIMIT.total_seconds():
        return _business_error(f"更新时间范围不能超过{int(WINDOW_LIMIT.total_seconds() // 60)}分钟")
    if not 1 <= size <= PAGE_SIZE or page < 0:
        return _business_error(f"page从0开始, size取值1-{PAGE_SIZE}")
    # Whole seconds, as the platform stores them.
    orders = state.modified_between(
        "douyin", shop.shop_id, _at(start), _at(end + 1) - timedelta(microseconds=1)
    )
    if params.get("order_asc"):
        orders.reverse()
    return _envelope(
        CODE_OK,
        {
            "page": page,
            "size": size,
            "total": len(orders),
            "shop_order_list": [render_order(order) for order in orders[page * size : (page + 1) * size]],
        },
    )


def _detail(params: dict, shop: SandboxShop, state: SandboxState) -> Response:
    order = state.find_order("douyin", shop.shop_id, str(params.get("shop_order_id", "")))
    if order is None:
        return _envelope(CODE_BUSINESS_FAILED, None, "业务处理失败", "isv.business-failed", "订单不存在")
    return _envelope(CODE_OK, {"shop_order_detail": render_order(order)})


def _sync_stock(params: dict, shop: SandboxShop, state: SandboxState) -> Response:
    stock_num = params.get("stock_num")
    if not params.get("sku_id") and not params.get("code"):
        return _business_error("sku_id和code不能同时为空")
    if not isinstance(stock_num, int) or isinstance(stock_num, bool) or stock_num < 0:
        return _business_error("stock_num必须为大于等于0的整数")
    if not isinstance(params.get("incremental"), bool):
        return _business_error("incremental必填")
    with state.lock:
        state.received.append(("douyin", STOCK_METHOD, dict(params)))
    return _envelope(CODE_OK, {})


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _ts(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def _cipher(value: str, mark: str) -> str:
    """Stands in for Doudian's ciphertext: OrderHub must keep such values as they come."""
    return f"{mark * 2}{base64.b64encode(value.encode()).decode()}{mark}1{mark * 2}"


def _sub_order_ids(order: FakeOrder) -> list[str]:
    # A single-SKU order's sub-order shares the parent's id, as in Doudian's own answers.
    if len(order.lines) == 1:
        return [order.order_id]
    return [str(int(order.order_id) + int(line.line_id)) for line in order.lines]


def render_order(order: FakeOrder) -> dict:
    code = STATUS_CODES[order.status]
    refunded = order.status == "cancelled" and order.paid_at is not None
    status_fields = {
        "order_status": code,
        "order_status_desc": STATUS_TEXT[code],
        "main_status": REFUNDED_BEFORE_SHIPMENT if refunded else code,
        "create_time": _ts(order.created_at),
        "pay_time": _ts(order.paid_at),
        "update_time": _ts(order.updated_at),
        "finish_time": _ts(order.updated_at) if order.status == "completed" else 0,
    }
    address = {
        "province": {"name": order.province, "id": ""},
        "city": {"name": order.city, "id": ""},
        "town": {"name": order.district, "id": ""},
        "street": {"name": "", "id": ""},
        "encrypt_detail": _cipher(order.detail, "#"),
    }
    skus = [
        {
            "order_id": sub_id,
            "parent_order_id": order.order_id,
            "order_level": 3,
            **status_fields,
            "product_id": int(line.platform_sku_id) + 3 * 10**18,  # product ids exceed 2^53
            "product_id_str": str(int(line.platform_sku_id) + 3 * 10**18),
            "sku_id": int(line.platform_sku_id),
            "code": line.sku_code,
            "out_sku_id": "",
            "product_name": line.title,
            "item_num": line.quantity,
            "origin_amount": _fen(line.unit_price * line.quantity),
            "sum_amount": _fen(line.unit_price * line.quantity),
            "pay_amount": _fen(line.paid_amount),
            "order_amount": _fen(line.paid_amount),
            "post_amount": 0,
            "after_sale_info": {
                "after_sale_status": 12 if refunded else 0,
                "after_sale_type": 2 if refunded else 0,
                "refund_status": 3 if refunded else 0,
            },
        }
        for sub_id, line in zip(_sub_order_ids(order), order.lines, strict=True)
    ]
    shipped = order.status in ("shipped", "completed")
    return {
        "order_id": order.order_id,
        "order_level": 2,
        "biz": 2,
        "biz_desc": "小店",
        **status_fields,
        "order_amount": _fen(order.paid_amount),
        "pay_amount": _fen(order.paid_amount),
        "post_amount": _fen(order.shipping_fee),
        "promotion_amount": _fen(order.discount),
        "promotion_shop_amount": _fen(order.discount),
        "promotion_platform_amount": 0,
        "encrypt_post_receiver": _cipher(order.receiver_name, "#"),
        "encrypt_post_tel": _cipher(order.receiver_phone, "$"),
        "post_addr": address,
        "shop_id": int(order.shop_id),
        "doudian_open_id": f"1@#{base64.b64encode(order.buyer_id.encode()).decode()}",
        "buyer_words": order.buyer_remark,
        "seller_words": order.seller_remark,
        "ship_time": _ts(order.updated_at) if shipped else 0,
        "logistics_info": [
            {
                "tracking_no": order.tracking_number,
                "company": "yuantong",
                "company_name": "圆通速递",
                "ship_time": _ts(order.updated_at),
            }
        ]
        if shipped
        else [],
        "sku_order_list": skus,
    }


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    """One message for the order's current state; the same order version gives the same msg_id."""
    tag = PUSH_TAGS[order.status]
    data = {
        "biz": 2,
        "order_status": STATUS_CODES[order.status],
        "order_type": 0,
        "p_id": int(order.order_id),
        "s_ids": [int(sub_id) for sub_id in _sub_order_ids(order)],
        "shop_id": int(shop.shop_id),
        "update_time": _ts(order.updated_at),
    }
    if order.paid_at is not None:
        data |= {"pay_amount": _fen(order.paid_amount), "pay_time": _ts(order.paid_at), "pay_type": 1}
    msg_id = str(int(hashlib.sha256(f"{order.order_id}:{order.version}".encode()).hexdigest()[:15], 16))
    message = {"tag": str(tag), "msg_id": msg_id, "data": json.dumps(data, separators=(",", ":"))}
    return json.dumps([message], ensure_ascii=False, separators=(",", ":")).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "app-id": shop.app_key,
        "event-sign": event_sign(body, shop.app_key, shop.app_secret),
    }
