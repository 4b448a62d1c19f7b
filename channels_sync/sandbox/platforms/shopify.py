"""The sandbox's Shopify: Admin REST orders.json (cursor paging in the Link header), orders/{id}.json,
and orders/* webhooks signed with the app's client secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlencode

from channels_sync.platforms.shopify.client import (
    ACCESS_TOKEN_HEADER,
    API_VERSION,
    INVENTORY_SET_PATH,
    PAGE_LIMIT,
)
from channels_sync.platforms.shopify.mapping import order_status
from channels_sync.platforms.shopify.push import webhook_signature
from channels_sync.sandbox.core import FakeOrder, Request, Response, SandboxShop, SandboxState

PUSHES = True
SHOP_TIME = timezone(timedelta(hours=8))
DEFAULT_LIMIT = 50
ORDERS_ROUTE = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2})/orders(?:/(?P<order_id>\d+))?\.json$")
# Beside page_info Shopify accepts only these; filters live inside the cursor.
PAGE_INFO_COMPANIONS = {"page_info", "limit", "fields"}
STATUS_FILTERS = ("open", "closed", "cancelled", "any")
INVALID_TOKEN_MESSAGE = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105 - an error text
TOPIC_OF = {
    "pending_payment": "orders/create",
    "paid": "orders/paid",
    "shipped": "orders/fulfilled",
    "completed": "orders/updated",
    "cancelled": "orders/cancelled",
}


# The order's refunds as Shopify renders them, and routes under /orders/{id}/refunds/: both supplied by
# channels_sync/sandbox/refunds.py.
RENDER_REFUNDS = lambda order: []  # noqa: E731
REFUND_ROUTES: list = []  # (compiled path pattern, handler(request, state, shop, match))


def throttled(retry_after: int) -> Response:
    message = (
        "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
    )
    return Response(429, {"errors": message}, headers={"Retry-After": f"{float(retry_after):.1f}"})


def _numeric(*parts: str) -> int:
    """A stable Shopify-sized numeric id for things the neutral order names differently."""
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:13], 16)


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(SHOP_TIME).isoformat(timespec="seconds") if moment else None


def _money(amount) -> str:
    return f"{amount:.2f}"


def _shop_money(amount, currency: str) -> dict:
    return {"shop_money": {"amount": _money(amount), "currency_code": currency}}


def _statuses(order: FakeOrder) -> dict:
    ended = _time(order.updated_at)
    if order.status == "cancelled":
        financial = "refunded" if order.paid_at else "voided"
        return {
            "financial_status": financial,
            "fulfillment_status": None,
            "cancelled_at": ended,
            "closed_at": ended,
        }
    return {
        "financial_status": "pending" if order.status == "pending_payment" else "paid",
        "fulfillment_status": "fulfilled" if order.status in ("shipped", "completed") else None,
        "cancelled_at": None,
        "closed_at": ended if order.status == "completed" else None,
    }


def render_order(order: FakeOrder) -> dict:
    order_id = int(order.order_id)
    customer_id = _numeric("customer", order.buyer_id)
    line_items = []
    for line in order.lines:
        line_id = _numeric(order.order_id, line.line_id)
        discount = line.unit_price * line.quantity - line.paid_amount
        line_items.append(
            {
                "id": line_id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
                "variant_id": int(line.platform_sku_id),
                "sku": line.sku_code,
                "title": line.title,
                "name": line.title,
                "quantity": line.quantity,
                "price": _money(line.unit_price),
                "total_discount": _money(discount),
                "discount_allocations": [{"amount": _money(discount), "discount_application_index": 0}]
                if discount
                else [],
                "fulfillment_status": "fulfilled" if order.status in ("shipped", "completed") else None,
            }
        )
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{order.order_id[-6:]}",
        "created_at": _time(order.created_at),
        "updated_at": _time(order.updated_at),
        "processed_at": _time(order.paid_at or order.created_at),
        **_statuses(order),
        "currency": order.currency,
        "total_line_items_price": _money(order.goods_amount),
        "subtotal_price": _money(order.goods_amount - order.discount),
        "total_discounts": _money(order.discount),
        "total_shipping_price_set": _shop_money(order.shipping_fee, order.currency),
        "shipping_lines": [{"title": "Standard", "price": _money(order.shipping_fee), "code": "standard"}],
        "total_tax": "0.00",
        "taxes_included": True,
        "total_price": _money(order.paid_amount),
        "note": order.buyer_remark or None,
        "customer": {"id": customer_id, "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}"},
        "shipping_address": {
            "name": order.receiver_name,
            "first_name": order.receiver_name,
            "last_name": "",
            "phone": order.receiver_phone,
            "address1": order.detail,
            "address2": order.district,
            "city": order.city,
            "province": order.province,
            "zip": "",
            "country": "China",
            "country_code": "CN",
        },
        "line_items": line_items,
        "refunds": RENDER_REFUNDS(order),
    }


def _errors(status: int, errors) -> Response:
    return Response(status, {"errors": errors})


def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _cursor(filters: dict, last: tuple[datetime, str]) -> str:
    raw = json.dumps({**filters, "last": [last[0].isoformat(), last[1]]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(page_info: str) -> tuple[dict, tuple[datetime, str]] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4)))
        moment, order_id = decoded.pop("last")
        filters = {name: str(decoded[name]) for name in ("min", "max", "status")}
        return filters, (datetime.fromisoformat(moment), str(order_id))
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        return None


def _key(order: FakeOrder) -> tuple[datetime, str]:
    # Shopify keeps whole seconds; sort and filter on what the API would show.
    return order.updated_at.astimezone(UTC).replace(microsecond=0), order.order_id


def _matches(order: FakeOrder, status: str) -> bool:
    statuses = _statuses(order)
    if status == "open":
        return not statuses["closed_at"] and not statuses["cancelled_at"]
    if status == "closed":
        return bool(statuses["closed_at"])
    if status == "cancelled":
        return bool(statuses["cancelled_at"])
    return True


def _list(request: Request, state: SandboxState, shop: SandboxShop) -> Response:
    query = request.query
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        return _errors(400, {"limit": "expected Integer"})
    if not 1 <= limit <= PAGE_LIMIT:
        return _errors(400, {"limit": f"must be between 1 and {PAGE_LIMIT}"})
    if "page_info" in query:
        extra = sorted(set(query) - PAGE_INFO_COMPANIONS)
        if extra:
            return _errors(400, {"page_info": f"cannot be combined with {', '.join(extra)}"})
        cursor = _uncursor(query["page_info"])
        if cursor is None:
            return _errors(400, {"page_info": "Invalid value."})
        filters, last = cursor
    else:
        filters = {"min": query.get("updated_at_min", ""), "max": query.get("updated_at_max", "")}
        filters["status"] = query.get("status", "open")
        last = None
    bounds = [_parse_time(filters[name]) if filters[name] else None for name in ("min", "max")]
    if any(bound is None and filters[name] for bound, name in zip(bounds, ("min", "max"), strict=True)):
        return _errors(400, {"updated_at": "invalid date"})
    if filters["status"] not in STATUS_FILTERS:
        return _errors(400, {"status": "invalid value"})
    lower, upper = bounds
    found = sorted(
        (
            o
            for o in state.shop_orders("shopify", shop.shop_id)
            if (lower is None or _key(o)[0] >= lower)
            and (upper is None or _key(o)[0] <= upper)
            and _matches(o, filters["status"])
        ),
        key=_key,
    )
    if last is not None:
        found = [o for o in found if _key(o) > last]
    page, more = found[:limit], len(found) > limit
    headers = {}
    if more:
        host = request.headers.get("host", "127.0.0.1")
        next_query = urlencode({"limit": limit, "page_info": _cursor(filters, _key(page[-1]))})
        headers["Link"] = f'<http://{host}/shopify{request.path}?{next_query}>; rel="next"'
    return Response(200, {"orders": [render_order(o) for o in page]}, headers=headers)


def _inventory_set(request: Request, state: SandboxState) -> Response:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _errors(400, "Invalid JSON")
    if not isinstance(body, dict):
        return _errors(400, "Invalid JSON")
    missing = [name for name in ("location_id", "inventory_item_id", "available") if name not in body]
    if missing:
        return _errors(400, {name: "Required parameter missing or invalid" for name in missing})
    available = body["available"]
    if not isinstance(available, int) or isinstance(available, bool) or available < 0:
        return _errors(422, {"available": ["must be greater than or equal to 0"]})
    with state.lock:
        state.received.append(("shopify", INVENTORY_SET_PATH, body))
    level = {**body, "updated_at": _time(datetime.now(UTC))}
    return Response(200, {"inventory_level": level})


def handle(request: Request, state: SandboxState) -> Response:
    if request.path.endswith(INVENTORY_SET_PATH) and request.method == "POST":
        shop = state.shop_by_token("shopify", request.headers.get(ACCESS_TOKEN_HEADER.lower(), ""))
        if shop is None or not shop.token_valid:
            return _errors(401, INVALID_TOKEN_MESSAGE)
        return _inventory_set(request, state)
    for pattern, refund_route in REFUND_ROUTES:
        matched = pattern.match(request.path)
        if matched and request.method == "GET":
            shop = state.shop_by_token("shopify", request.headers.get(ACCESS_TOKEN_HEADER.lower(), ""))
            if shop is None or not shop.token_valid:
                return _errors(401, INVALID_TOKEN_MESSAGE)
            return refund_route(request, state, shop, matched)
    route = ORDERS_ROUTE.match(request.path)
    if route is None or request.method != "GET":
        return _errors(404, "Not Found")
    shop = state.shop_by_token("shopify", request.headers.get(ACCESS_TOKEN_HEADER.lower(), ""))
    if shop is None or not shop.token_valid:
        return _errors(401, INVALID_TOKEN_MESSAGE)
    if route["order_id"] is None:
        return _list(request, state, shop)
    order = state.find_order("shopify", shop.shop_id, route["order_id"])
    if order is None:
        return _errors(404, "Not Found")
    return Response(200, {"order": render_order(order)})


def push_body(order: FakeOrder, shop: SandboxShop) -> bytes:
    return json.dumps(render_order(order), ensure_ascii=False, separators=(",", ":")).encode()


def push_headers(body: bytes, shop: SandboxShop, hook_url: str) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Hmac-Sha256": webhook_signature(shop.app_secret, body),
        "X-Shopify-Shop-Domain": shop.shop_id,
        "X-Shopify-API-Version": API_VERSION,
        # A re-delivery of the same event keeps its webhook id, so derive it from the body.
        "X-Shopify-Webhook-Id": str(uuid.uuid5(uuid.NAMESPACE_URL, hashlib.sha256(body).hexdigest())),
    }
    try:
        order = json.loads(body)
    except ValueError:
        return headers  # a malformed body (fault injection) is still signed and sent as it is
    status, _, _ = order_status(order)
    return headers | {
        "X-Shopify-Topic": TOPIC_OF[status],
        "X-Shopify-Order-Id": str(order["id"]),
        "X-Shopify-Triggered-At": order["updated_at"],
    }
