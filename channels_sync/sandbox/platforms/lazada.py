"""The sandbox's Lazada: GetOrders, GetOrder, GetOrderItems, GetMultipleOrderItems and the order push.

Errors come back as Lazada's envelope {code, type, message, request_id} with HTTP 200.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal

from channels_sync.platforms.lazada.client import (
    ITEMS_BATCH,
    MULTIPLE_ORDER_ITEMS_PATH,
    ORDER_ITEMS_PATH,
    ORDER_PATH,
    ORDERS_PATH,
    PAGE_LIMIT,
    SELLABLE_STOCK_PATH,
    WINDOW_LIMIT,
    sign,
)
from channels_sync.platforms.lazada.push import push_signature
from channels_sync.sandbox.core import FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = True
SITE = "lazada_sg"
SITE_TIME = timezone(timedelta(hours=8))
TIMESTAMP_TOLERANCE_MS = 7200 * 1000
SYSTEM_PARAMS = ("app_key", "timestamp", "access_token", "sign_method", "sign")
ITEM_STATUS_OF = {
    "pending_payment": "unpaid",
    "paid": "pending",
    "shipped": "shipped",
    "completed": "delivered",
    "cancelled": "canceled",
}
CENT = Decimal("0.01")


def _error(code: str, message: str, kind: str = "ISV") -> Response:
    return Response(200, {"code": code, "type": kind, "message": message, "request_id": uuid.uuid4().hex})


def _ok(data) -> Response:
    return Response(200, {"code": "0", "data": data, "request_id": uuid.uuid4().hex})


def throttled(retry_after: int) -> Response:
    # Lazada's envelope has no wait time; the client backs off on its own.
    return _error("ApiCallLimit", "The request has exceeded the limit of API calls", kind="ISP")


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _site_time(moment: datetime) -> str:
    return moment.astimezone(SITE_TIME).isoformat(timespec="seconds")


def _masked(phone: str) -> str:
    return phone[:2] + "****" + phone[-2:] if len(phone) > 4 else phone


def _items(order: FakeOrder) -> list[dict]:
    """One Lazada order item per unit, the line's paid amount spread over its units to the cent."""
    status = ITEM_STATUS_OF[order.status]
    paid_ms = int(order.paid_at.timestamp() * 1000) if order.paid_at else 0
    items = []
    for line in order.lines:
        share = (line.paid_amount / line.quantity).quantize(CENT, rounding=ROUND_DOWN)
        for unit in range(1, line.quantity + 1):
            paid = share if unit < line.quantity else line.paid_amount - share * (line.quantity - 1)
            items.append(
                {
                    "order_item_id": int(f"{order.order_id}{int(line.line_id):02d}{unit:02d}"),
                    "order_id": order.order_id,
                    "name": line.title,
                    "sku": line.sku_code,
                    "shop_sku": f"{line.platform_sku_id}_SGAMZ-{line.platform_sku_id}",
                    "sku_id": line.platform_sku_id,
                    "item_price": _money(line.unit_price),
                    "paid_price": _money(paid),
                    "currency": order.currency,
                    "voucher_amount": _money(line.unit_price - paid),
                    "shipping_type": "Dropshipping",
                    "tracking_code": order.tracking_number,
                    "status": status,
                    "return_status": "",
                    "buyer_id": order.buyer_id,
                    "payment_time": paid_ms,
                    "created_at": order.created_at.astimezone(SITE_TIME).strftime("%Y-%m-%d %H:%M:%S %z"),
                    "updated_at": order.updated_at.astimezone(SITE_TIME).strftime("%Y-%m-%d %H:%M:%S %z"),
                }
            )
    return items


def _row(order: FakeOrder) -> dict:
    """The GetOrders / GetOrder row: no items, only their distinct statuses."""
    address = {
        "first_name": order.receiver_name,
        "last_name": "",
        "phone": _masked(order.receiver_phone),
        "address1": order.detail,
        "address2": "",
        "address3": order.province,
        "address4": order.city,
        "address5": order.district,
        "city": order.city,
        "post_code": "",
        "country": "China",
    }
    return {
        "order_id": order.order_id,
        "order_number": order.order_id,
        "created_at": _site_time(order.created_at),
        "updated_at": _site_time(order.updated_at),
        "price": _money(order.goods_amount),
        "shipping_fee": _money(order.shipping_fee),
        "voucher": _money(order.discount),
        "voucher_seller": _money(order.discount),
        "voucher_platform": "0.00",
        "payment_method": "COD",
        "items_count": str(sum(line.quantity for line in order.lines)),
        "statuses": [ITEM_STATUS_OF[order.status]],
        "buyer_note": order.buyer_remark,
        "remarks": order.seller_remark,
        "customer_first_name": order.receiver_name,
        "customer_last_name": "",
        "address_shipping": address,
        "address_billing": dict(address),
    }


def render_order(order: FakeOrder) -> dict:
    """The order as the client hands it to the mapping: the row with its items attached."""
    return {**_row(order), "order_items": _items(order)}


def _authenticate(request: Request, state: SandboxState) -> SandboxShop | Response:
    params = request.query
    missing = [name for name in SYSTEM_PARAMS if not params.get(name)]
    if missing:
        return _error("MissingParameter", f"The input parameter {missing[0]} that is mandatory is missing")
    app_shop = state.shop_by_app_key("lazada", params["app_key"])
    if app_shop is None:
        return _error("InvalidAppKey", "The specified app key is invalid")
    if params["sign_method"] != "sha256" or sign(app_shop.app_secret, request.path, params) != params["sign"]:
        return _error("IncompleteSignature", "The request signature does not conform to platform standards")
    try:
        skew = abs(int(params["timestamp"]) - int(time.time() * 1000))
    except ValueError:
        skew = TIMESTAMP_TOLERANCE_MS + 1
    if skew > TIMESTAMP_TOLERANCE_MS:
        return _error("InvalidTimestamp", "The timestamp differs from UTC by more than 7200 s")
    shop = state.shop_by_token("lazada", params["access_token"])
    if shop is None or not shop.token_valid or shop.app_key != app_shop.app_key:
        return _error("IllegalAccessToken", "The specified access token is invalid or expired")
    return shop


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _orders(request: Request, state: SandboxState, shop: SandboxShop) -> Response:
    params = request.query
    field = "updated" if params.get("update_after") else "created" if params.get("created_after") else ""
    if not field:
        return _error("MissingParameter", "update_after or created_after is mandatory")
    prefix = "update" if field == "updated" else "created"
    after = _parse_time(params[f"{prefix}_after"])
    before = _parse_time(params[f"{prefix}_before"]) if params.get(f"{prefix}_before") else datetime.now(UTC)
    if after is None or before is None:
        return _error("17", f'E017: "{params[prefix + "_after"]}" Invalid Date Format')
    if before - after > WINDOW_LIMIT:
        return _error("InvalidParameter", f"{prefix}_before - {prefix}_after exceeds {WINDOW_LIMIT}")
    try:
        offset, limit = int(params.get("offset", "0")), int(params.get("limit", "100"))
    except ValueError:
        return _error("14", "E014: Invalid Offset")
    if not 1 <= limit <= PAGE_LIMIT:
        return _error("19", f'E019: "{limit}" Invalid Limit')
    if offset < 0:
        return _error("14", f'E014: "{offset}" Invalid Offset')
    sort_by = params.get("sort_by", "created_at")
    direction = params.get("sort_direction", "DESC")
    if sort_by not in ("created_at", "updated_at"):
        return _error("75", "E075: Invalid sort filter.")
    if direction not in ("ASC", "DESC"):
        return _error("74", "E074: Invalid sort direction.")
    moment = f"{field}_at"
    found = [o for o in state.shop_orders("lazada", shop.shop_id) if after <= getattr(o, moment) < before]
    found.sort(key=lambda o: (getattr(o, sort_by), o.order_id), reverse=direction == "DESC")
    page = found[offset : offset + limit]
    return _ok({"count": str(len(page)), "countTotal": str(len(found)), "orders": [_row(o) for o in page]})


def _multiple_items(request: Request, state: SandboxState, shop: SandboxShop) -> Response:
    raw = request.query.get("order_ids", "")
    try:
        wanted = json.loads(raw)
        if not isinstance(wanted, list) or not all(isinstance(i, int) for i in wanted):
            raise ValueError(raw)
    except ValueError:
        return _error("56", "E056: Invalid OrdersIdList format. Must use array format [1,2]")
    if len(wanted) > ITEMS_BATCH:
        return _error("38", "E038: Too many orders were requested")
    orders = [state.find_order("lazada", shop.shop_id, str(order_id)) for order_id in wanted]
    if any(order is None for order in orders):
        return _error("37", "E037: One or more order id in the list are incorrect")
    return _ok(
        [
            {"order_id": int(o.order_id), "order_number": int(o.order_id), "order_items": _items(o)}
            for o in orders
        ]
    )


def _single(request: Request, state: SandboxState, shop: SandboxShop) -> FakeOrder | Response:
    order = state.find_order("lazada", shop.shop_id, request.query.get("order_id", ""))
    if order is None:
        return _error("16", "E016: Invalid Order ID")
    return order


def _order(request: Request, state: SandboxState, shop: SandboxShop) -> Response:
    order = _single(request, state, shop)
    return order if isinstance(order, Response) else _ok(_row(order))


def _order_items(request: Request, state: SandboxState, shop: SandboxShop) -> Response:
    order = _single(request, state, shop)
    return order if isinstance(order, Response) else _ok(_items(order))


def _sellable_update(request: Request, state: SandboxState, shop: SandboxShop) -> Response:
    try:
        skus = json.loads(request.query.get("payload", ""))["Request"]["Product"]["Skus"]["Sku"]
        if not isinstance(skus, list) or not skus:
            raise ValueError("no Sku")
    except (ValueError, KeyError, TypeError):
        return _error("InvalidParameter", "payload must carry Request.Product.Skus.Sku")
    for sku in skus:
        if not isinstance(sku, dict) or not (sku.get("SellerSku") or sku.get("SkuId")):
            return _error("InvalidParameter", "Every Sku needs SellerSku or SkuId")
        quantity = sku.get("SellableQuantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            return _error("InvalidParameter", "SellableQuantity must be an integer of 0 or more")
    with state.lock:
        state.received.append(("lazada", SELLABLE_STOCK_PATH, {"payload": skus}))
    return _ok({})


ROUTES = {
    SELLABLE_STOCK_PATH: _sellable_update,
    ORDERS_PATH: _orders,
    MULTIPLE_ORDER_ITEMS_PATH: _multiple_items,
    ORDER_PATH: _order,
    ORDER_ITEMS_PATH: _order_items,
}


def handle(request: Request, state: SandboxState) -> Response:
    route = ROUTES.get(request.path)
    if route is None:
        return Response(404, {"code": "InvalidApiPath", "type": "ISV", "message": f"no API {request.path}"})
    if request.method == "POST":  # API parameters come in the form and are signed with the query's
        request = replace(request, query={**request.form(), **request.query})
    shop = _authenticate(request, state)
    if isinstance(shop, Response):
        return shop
    return route(request, state, shop)


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    first_item = _items(order)[0]
    message = {
        "seller_id": shop.shop_id,
        "message_type": 0,
        "data": {
            "order_status": first_item["status"],
            "status_update_time": int(order.updated_at.timestamp()),
            "trade_order_id": order.order_id,
            "trade_order_line_id": str(first_item["order_item_id"]),
        },
        "timestamp": int(order.updated_at.timestamp() * 1000),
        "site": SITE,
    }
    return json.dumps(message, separators=(",", ":")).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Authorization": push_signature(shop.app_key, shop.app_secret, body),
    }
