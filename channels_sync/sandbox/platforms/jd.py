"""The sandbox's JOS gateway: /routerjson with JD's md5 signature, token, window and paging rules.

Gateway errors come as `error_response{code, zh_desc, en_desc}`; business errors (a window over one
month, a page over 100, an unknown order) as HTTP 200 with `apiResult.success` false, as JD answers.
JD does not push.
"""

from __future__ import annotations

import hmac
import json
from calendar import monthrange
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.jd.client import (
    ERROR_INVALID_AUTH,
    ERROR_RATE_LIMITED,
    GET_API,
    MAX_PAGE_SIZE,
    ROUTER_PATH,
    SEARCH_API,
    STOCK_API,
    STOCK_RESPONSE,
    sign,
)
from channels_sync.platforms.jd.mapping import GET_RESPONSE, GET_RESULT, SEARCH_RESPONSE, SEARCH_RESULT
from channels_sync.platforms.util import beijing_time, format_beijing
from channels_sync.sandbox.core import FakeLine, FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = False
PLATFORM = "jd"
# Gateway codes from JOS's error table as quoted by third parties (only "19" is confirmed verbatim).
ERROR_INVALID_TIMESTAMP = "8"
ERROR_INVALID_SIGNATURE = "12"
ERROR_INVALID_METHOD = "15"
TIMESTAMP_TOLERANCE = timedelta(minutes=6)
DEFAULT_PAGE_SIZE = 20
# JD splits a shop coupon over the SKUs it covers; this is the type such a split is booked under.
SHOP_COUPON_TYPE = "29-满减优惠"
SUCCEEDED = {"success": True, "englishErrCode": "", "chineseErrCode": "", "numberCode": 0}

ORDER_STATE = {
    "paid": ("WAIT_SELLER_STOCK_OUT", "等待出库"),
    "shipped": ("WAIT_GOODS_RECEIVE_CONFIRM", "等待确认收货"),
    "completed": ("FINISHED_L", "完成"),
    "cancelled": ("TRADE_CANCELED", "取消"),
}


class _Refused(Exception):
    def __init__(self, code: str, zh_desc: str, en_desc: str):
        super().__init__(en_desc)
        self.response = _error(code, zh_desc, en_desc)


class _Failed(Exception):
    """A business error, answered inside the API's own result with apiResult.success false."""

    def __init__(self, english: str, chinese: str):
        super().__init__(english)
        self.api_result = {"success": False, "englishErrCode": english, "chineseErrCode": chinese}


def _error(code: str, zh_desc: str, en_desc: str) -> Response:
    return Response(200, {"error_response": {"code": code, "zh_desc": zh_desc, "en_desc": en_desc}})


def throttled(retry_after: int) -> Response:
    # JD's throttle answer says nothing about how long to wait.
    return _error(ERROR_RATE_LIMITED, "限制时间内调用失败次数", "App Call Limited")


def handle(request: Request, state: SandboxState) -> Response:
    if request.path != ROUTER_PATH:
        return Response(404, {"error": f"JOS serves {ROUTER_PATH}, not {request.path}"})
    params = {**request.query, **request.form()}
    try:
        shop = _authenticate(params, state)
    except _Refused as refused:
        return refused.response
    if params.get("method") == STOCK_API:
        return _update_sku_stock(params, state)
    api = APIS.get(params.get("method", ""))
    if api is None:
        return _error(ERROR_INVALID_METHOD, "不存在的方法名", "Invalid Method")
    response_key, result_key, serve = api
    try:
        result = {"apiResult": SUCCEEDED} | serve(_business(params), shop, state)
    except _Failed as failed:
        result = {"apiResult": failed.api_result}
    return Response(200, {response_key: {"code": "0", result_key: result}})


def _update_sku_stock(params: dict[str, str], state: SandboxState) -> Response:
    """A flat answer, {code, success}, unlike the order APIs' apiResult (unverified: no JD page shows it)."""
    try:
        business = _business(params)
        sku_id, stock_num = _required(business, "skuId"), business.get("stockNum")
    except _Failed as failed:
        return Response(200, {STOCK_RESPONSE: {"code": "0", "success": False, "message": str(failed)}})
    if not isinstance(stock_num, int) or isinstance(stock_num, bool) or stock_num < 0:
        message = "stockNum must be an integer of 0 or more"
        return Response(200, {STOCK_RESPONSE: {"code": "0", "success": False, "message": message}})
    with state.lock:
        state.received.append((PLATFORM, STOCK_API, {"skuId": sku_id, "stockNum": stock_num}))
    return Response(200, {STOCK_RESPONSE: {"code": "0", "success": True}})


def _business(params: dict[str, str]) -> dict:
    try:
        business = json.loads(params.get("360buy_param_json") or "{}")
    except ValueError:
        business = None
    if not isinstance(business, dict):
        raise _Failed("360buy_param_json is not a JSON object", "业务参数格式错误")
    return business


def _authenticate(params: dict[str, str], state: SandboxState) -> SandboxShop:
    app = state.shop_by_app_key(PLATFORM, params.get("app_key", ""))
    expected = sign(params, app.app_secret) if app else ""
    if not expected or not hmac.compare_digest(expected.encode(), params.get("sign", "").encode()):
        raise _Refused(ERROR_INVALID_SIGNATURE, "无效签名", "Invalid Signature")
    try:
        moment = beijing_time(params.get("timestamp"))
    except PayloadError:
        moment = None
    if moment is None or abs(moment - datetime.now(UTC)) > TIMESTAMP_TOLERANCE:
        raise _Refused(ERROR_INVALID_TIMESTAMP, "非法的时间戳参数", "Invalid Timestamp")
    shop = state.shop_by_token(PLATFORM, params.get("access_token", ""))
    if shop is None or not shop.token_valid or shop.app_key != app.app_key:
        raise _Refused(ERROR_INVALID_AUTH, "无效access_token", "Invalid access_token")
    return shop


def _required(business: dict, name: str) -> str:
    value = business.get(name)
    if value in (None, ""):
        raise _Failed(f"{name} is required", f"{name}不能为空")
    return str(value)


def _time(business: dict, name: str) -> datetime:
    try:
        return beijing_time(_required(business, name))
    except PayloadError:
        raise _Failed(f"{name} must be yyyy-MM-dd HH:mm:ss", f"{name}格式错误") from None


def _number(business: dict, name: str, default: int, upper: int) -> int:
    raw = str(business.get(name) or default)
    if not raw.isdigit() or not 1 <= int(raw) <= upper:
        raise _Failed(f"{name} must be 1..{upper}", f"{name}超出范围")
    return int(raw)


def one_month_after(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _search(business: dict, shop: SandboxShop, state: SandboxState) -> dict:
    start, end = _time(business, "start_date"), _time(business, "end_date")
    if end < start or end > one_month_after(start):
        raise _Failed("start_date and end_date must be at most one month apart", "查询时间跨度不能超过一个月")
    states = set(_required(business, "order_state").split(","))
    fields = _required(business, "optional_fields")
    page = _number(business, "page", 1, 10**6)
    page_size = _number(business, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    by_created = str(business.get("dateType", "0")) == "1"
    upper = end.replace(microsecond=999_999)  # JD keeps whole seconds
    if by_created:
        candidates = [o for o in state.shop_orders(PLATFORM, shop.shop_id) if start <= o.created_at <= upper]
        candidates.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
    else:
        candidates = state.modified_between(PLATFORM, shop.shop_id, start, upper)
    found = [o for o in candidates if o.status in ORDER_STATE and ORDER_STATE[o.status][0] in states]
    chosen = found[(page - 1) * page_size : page * page_size]
    return {"orderTotal": len(found), "orderInfoList": [_only(render_order(o), fields) for o in chosen]}


def _get(business: dict, shop: SandboxShop, state: SandboxState) -> dict:
    wanted = _required(business, "order_id")
    fields = _required(business, "optional_fields")
    order = state.find_order(PLATFORM, shop.shop_id, wanted)
    if order is None or order.status not in ORDER_STATE:
        raise _Failed(f"order {wanted} not found", "订单不存在")
    return {"orderInfo": _only(render_order(order), fields)}


APIS = {
    SEARCH_API: (SEARCH_RESPONSE, SEARCH_RESULT, _search),
    GET_API: (GET_RESPONSE, GET_RESULT, _get),
}


def _only(order: dict, fields: str) -> dict:
    wanted = {name.strip() for name in fields.split(",")}
    return {name: value for name, value in order.items() if name in wanted}


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def render_order(order: FakeOrder) -> dict:
    """The POP orderInfo JD would list; JD shows no unpaid orders, so those cannot be rendered."""
    if order.status not in ORDER_STATE:
        raise ValueError(f"JD lists no {order.status} orders (order {order.order_id})")
    state, remark = ORDER_STATE[order.status]
    return {
        "orderId": order.order_id,
        "venderId": order.shop_id,
        "orderType": "22",
        "orderState": state,
        "orderStateRemark": remark,
        "orderTotalPrice": _money(order.goods_amount),
        "orderSellerPrice": _money(order.goods_amount - order.discount),
        "orderPayment": _money(order.paid_amount),
        "freightPrice": _money(order.shipping_fee),
        "sellerDiscount": _money(order.discount),
        "orderStartTime": format_beijing(order.created_at),
        "paymentConfirmTime": format_beijing(order.paid_at or order.created_at),
        "modified": format_beijing(order.updated_at),
        "pin": order.buyer_id,
        "orderRemark": order.buyer_remark,
        "venderRemark": order.seller_remark,
        "payType": "4-在线支付",
        "consigneeInfo": {
            "fullname": order.receiver_name,
            "mobile": order.receiver_phone,
            "telephone": order.receiver_phone,
            "province": order.province,
            "city": order.city,
            "county": order.district,
            "fullAddress": order.province + order.city + order.district + order.detail,
        },
        "itemInfoList": [_render_item(line) for line in order.lines],
        "couponDetailList": [
            _render_coupon(order, line)
            for line in order.lines
            if line.paid_amount < line.unit_price * line.quantity
        ],
    }


def _render_item(line: FakeLine) -> dict:
    return {
        "skuId": line.platform_sku_id,
        "outerSkuId": line.sku_code,
        # A ware groups SKUs; any stable number derived from the SKU serves as its id here.
        "wareId": str(int(line.platform_sku_id) // 100),
        "skuName": line.title,
        "jdPrice": _money(line.unit_price),
        "itemTotal": str(line.quantity),
    }


def _render_coupon(order: FakeOrder, line: FakeLine) -> dict:
    return {
        "orderId": order.order_id,
        "skuId": line.platform_sku_id,
        "couponType": SHOP_COUPON_TYPE,
        "couponPrice": _money(line.unit_price * line.quantity - line.paid_amount),
    }
