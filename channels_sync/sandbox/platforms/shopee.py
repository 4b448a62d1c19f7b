"""The sandbox's Shopee v2: get_order_list and get_order_detail with Shopee's checks, and code-3 pushes.

Every call is checked like the real gateway: partner/shop known, `sign` over partner_id + path +
timestamp + access_token + shop_id, timestamp within five minutes, a valid access_token. Errors are
`{error, message, request_id}`.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

from channels_sync.platforms.shopee.client import (
    DETAIL_BATCH,
    ORDER_DETAIL_PATH,
    ORDER_LIST_PATH,
    PAGE_SIZE,
    UPDATE_STOCK_PATH,
    WINDOW_LIMIT,
    push_signature,
    sign,
)
from channels_sync.sandbox.core import FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = True
PLATFORM = "shopee"
RAW_STATUS = {
    "pending_payment": "UNPAID",
    "paid": "READY_TO_SHIP",
    "shipped": "SHIPPED",
    "completed": "COMPLETED",
    "cancelled": "CANCELLED",
}
TIMESTAMP_VALIDITY = 300
# Fields get_order_detail returns only when named in response_optional_fields.
OPTIONAL_FIELDS = frozenset(
    [
        "buyer_user_id",
        "buyer_username",
        "estimated_shipping_fee",
        "recipient_address",
        "actual_shipping_fee",
        "goods_to_declare",
        "note",
        "note_update_time",
        "item_list",
        "pay_time",
        "dropshipper",
        "dropshipper_phone",
        "split_up",
        "buyer_cancel_reason",
        "cancel_by",
        "cancel_reason",
        "actual_shipping_fee_confirmed",
        "buyer_cpf_id",
        "fulfillment_flag",
        "pickup_done_time",
        "package_list",
        "shipping_carrier",
        "payment_method",
        "total_amount",
        "invoice_data",
        "order_chargeable_weight_gram",
        "edt",
    ]
)
# Shopee's throttle body is unverified; the HTTP 429 is what clients act on.
THROTTLE_ERROR = "error_too_many_request"


# Returns APIs (path → (method, handler)), registered by channels_sync/sandbox/refunds.py.
REFUND_ROUTES: dict = {}


def _error(status: int, error: str, message: str) -> Response:
    return Response(status, {"error": error, "message": message, "request_id": uuid.uuid4().hex})


def _ok(response: dict) -> Response:
    return Response(200, {"error": "", "message": "", "response": response, "request_id": uuid.uuid4().hex})


def throttled(retry_after: int) -> Response:
    return Response(
        429,
        {"error": THROTTLE_ERROR, "message": "Too many requests.", "request_id": uuid.uuid4().hex},
        headers={"Retry-After": str(retry_after)},
    )


def handle(request: Request, state: SandboxState) -> Response:
    routes = {
        ORDER_LIST_PATH: ("GET", _order_list),
        ORDER_DETAIL_PATH: ("GET", _order_detail),
        UPDATE_STOCK_PATH: ("POST", _update_stock),
        **REFUND_ROUTES,
    }
    method, route = routes.get(request.path, (None, None))
    if route is None:
        return _error(404, "error_not_found", f"Invalid path {request.path}")
    if request.method != method:
        return _error(400, "error_param", f"This API only supports {method}.")
    if method == "POST":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "error_param", "Body is not a JSON object.")
        route = partial(route, body=body)
    query = request.query
    missing = [
        name for name in ("partner_id", "timestamp", "sign", "access_token", "shop_id") if not query.get(name)
    ]
    if missing:
        return _error(400, "error_param", f"Missing {', '.join(missing)}.")
    shop = state.shop(PLATFORM, query["shop_id"])
    if shop is None or shop.app_key != query["partner_id"]:
        return _error(403, "error_auth", "Invalid partner_id or shop_id.")
    expected = sign(
        shop.app_secret,
        query["partner_id"],
        request.path,
        query["timestamp"],
        query["access_token"],
        query["shop_id"],
    )
    if not hmac.compare_digest(query["sign"].encode(), expected.encode()):
        return _error(403, "error_sign", "Wrong sign.")
    try:
        timestamp = int(query["timestamp"])
    except ValueError:
        return _error(400, "error_param", "Invalid timestamp.")
    if abs(time.time() - timestamp) > TIMESTAMP_VALIDITY:
        return _error(403, "error_param", "Timestamp is expired.")
    if query["access_token"] != shop.access_token or not shop.token_valid:
        return _error(403, "error_auth", "Invalid access_token.")
    return route(query, shop, state)


def _update_stock(query: dict, shop: SandboxShop, state: SandboxState, *, body: dict) -> Response:
    stock_list = body.get("stock_list")
    if not isinstance(body.get("item_id"), int) or not isinstance(stock_list, list) or not stock_list:
        return _error(400, "error_param", "item_id and stock_list are required.")
    done = []
    for entry in stock_list:
        stocks = entry.get("seller_stock") if isinstance(entry, dict) else None
        if not isinstance(stocks, list) or not stocks or not isinstance(entry.get("model_id"), int):
            return _error(400, "error_param", "Every stock_list entry needs model_id and seller_stock.")
        for stock in stocks:
            value = stock.get("stock") if isinstance(stock, dict) else None
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return _error(400, "error_param", "stock should be an integer of 0 or more.")
        done.append({"model_id": entry["model_id"], "seller_stock": stocks})
    with state.lock:
        state.received.append((PLATFORM, UPDATE_STOCK_PATH, body))
    return _ok({"success_list": done, "failure_list": []})


def _order_list(query: dict, shop: SandboxShop, state: SandboxState) -> Response:
    field = query.get("time_range_field")
    if field not in ("create_time", "update_time"):
        return _error(400, "error_param", "time_range_field should be create_time or update_time.")
    try:
        time_from, time_to = int(query["time_from"]), int(query["time_to"])
        page_size = int(query.get("page_size", 0))
        offset = int(query.get("cursor") or 0)
    except (KeyError, ValueError):
        return _error(400, "error_param", "time_from, time_to, page_size and cursor must be integers.")
    if time_from > time_to or time_to - time_from > WINDOW_LIMIT.total_seconds():
        return _error(
            400,
            "order.order_list_invalid_time",
            "Start time must be earlier than end time and diff in 15days.",
        )
    if not 1 <= page_size <= PAGE_SIZE:
        return _error(400, "error_param", f"page_size should be between 1 and {PAGE_SIZE}.")
    start = datetime.fromtimestamp(time_from, tz=UTC)
    # Shopee keeps whole seconds, so time_to covers all of its second.
    end = datetime.fromtimestamp(time_to, tz=UTC) + timedelta(microseconds=999_999)
    if field == "update_time":
        found = state.modified_between(PLATFORM, shop.shop_id, start, end)
    else:
        created = [o for o in state.shop_orders(PLATFORM, shop.shop_id) if start <= o.created_at <= end]
        found = sorted(created, key=lambda o: (o.created_at, o.order_id), reverse=True)
    page = found[offset : offset + page_size]
    with_status = "order_status" in query.get("response_optional_fields", "").split(",")
    rows = [
        {"order_sn": o.order_id, **({"order_status": RAW_STATUS[o.status]} if with_status else {})}
        for o in page
    ]
    more = offset + page_size < len(found)
    return _ok({"more": more, "next_cursor": str(offset + page_size) if more else "", "order_list": rows})


def _order_detail(query: dict, shop: SandboxShop, state: SandboxState) -> Response:
    order_sns = [sn for sn in query.get("order_sn_list", "").split(",") if sn]
    if not order_sns:
        return _error(400, "error_param", "order_sn_list is required.")
    if len(order_sns) > DETAIL_BATCH:
        return _error(400, "error_param", f"order_sn_list should contain at most {DETAIL_BATCH} order_sn.")
    wanted = set(query.get("response_optional_fields", "").split(","))
    orders = []
    for order_sn in order_sns:
        order = state.find_order(PLATFORM, shop.shop_id, order_sn)
        if order is not None:
            rendered = render_order(order)
            orders.append({k: v for k, v in rendered.items() if k not in OPTIONAL_FIELDS or k in wanted})
    return _ok({"order_list": orders})


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    """Shopee masks the recipient for sellers: 'P******n', '******64'."""
    return value[:keep_start] + "******" + (value[-keep_end:] if keep_end else "")


def _unix(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def render_order(order: FakeOrder) -> dict:
    """A get_order_detail order with every optional field; amounts as floats in local currency."""
    shipped = order.status in {"shipped", "completed"}
    items = [
        {
            # The sandbox only knows SKU (model) ids; one item per model keeps item_id distinct.
            "item_id": int(line.platform_sku_id) // 100,
            "item_name": line.title,
            "item_sku": "",
            "model_id": int(line.platform_sku_id),
            "model_name": "",
            "model_sku": line.sku_code,
            "model_quantity_purchased": line.quantity,
            "model_original_price": float(line.unit_price),
            "model_discounted_price": float(line.unit_price),
            "order_item_id": int(line.platform_sku_id) // 100,
            "promotion_type": "",
            "wholesale": False,
        }
        for line in order.lines
    ]
    packages = []
    if shipped:
        packages.append(
            {
                "package_number": f"OFG{order.order_id}",
                "logistics_status": "LOGISTICS_DELIVERY_DONE"
                if order.status == "completed"
                else "LOGISTICS_PICKUP_DONE",
                "shipping_carrier": "Standard Delivery",
                "item_list": [
                    {
                        "item_id": i["item_id"],
                        "model_id": i["model_id"],
                        "model_quantity": i["model_quantity_purchased"],
                    }
                    for i in items
                ],
            }
        )
    return {
        "order_sn": order.order_id,
        "order_status": RAW_STATUS[order.status],
        "currency": order.currency,
        "cod": False,
        "create_time": _unix(order.created_at),
        "update_time": _unix(order.updated_at),
        "pay_time": _unix(order.paid_at),
        "days_to_ship": 3,
        "ship_by_date": _unix(order.created_at + timedelta(days=3)),
        "message_to_seller": order.buyer_remark,
        "note": order.seller_remark,
        "buyer_user_id": int("".join(ch for ch in order.buyer_id if ch.isdigit()) or 0),
        "buyer_username": order.buyer_id,
        "estimated_shipping_fee": float(order.shipping_fee),
        "total_amount": float(order.paid_amount),
        "recipient_address": {
            "name": _mask(order.receiver_name, 1, 1),
            "phone": _mask(order.receiver_phone, 0, 2),
            "state": order.province,
            "city": order.city,
            "district": order.district,
            "town": "",
            "full_address": _mask(order.detail, 2, 0),
            "zipcode": "",
            "region": "CN",
        },
        "item_list": items,
        "package_list": packages,
        "shipping_carrier": "Standard Delivery",
        "payment_method": "Online Payment",
        "cancel_by": "buyer" if order.status == "cancelled" else "",
        "cancel_reason": "Change of mind" if order.status == "cancelled" else "",
        "buyer_cancel_reason": "",
    }


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    """Order Status Push (code 3), compact JSON as Shopee sends it."""
    updated = _unix(order.updated_at)
    data = {
        "items": [],
        "ordersn": order.order_id,
        "status": RAW_STATUS[order.status],
        "completed_scenario": "",
        "update_time": updated,
    }
    body = {"data": data, "shop_id": int(shop.shop_id), "code": 3, "timestamp": updated}
    return json.dumps(body, separators=(",", ":")).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Authorization": push_signature(shop.app_secret, hook_url, body),
    }
