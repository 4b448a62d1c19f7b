"""Lazada Open Platform client: signed GET calls, offset paging, order items attached to every order."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.util import window_slices

DEFAULT_BASE_URL = "https://api.lazada.sg/rest"
ORDERS_PATH = "/orders/get"
ORDER_PATH = "/order/get"
ORDER_ITEMS_PATH = "/order/items/get"
MULTIPLE_ORDER_ITEMS_PATH = "/orders/items/get"
SELLABLE_STOCK_PATH = "/product/stock/sellable/update"

# Lazada documents no maximum span for update_after/update_before (unverified): we keep slices to one
# day, and the sandbox enforces the same constant so a client that forgets to split fails loudly.
WINDOW_LIMIT = timedelta(days=1)
PAGE_LIMIT = 100  # GetOrders `limit` maximum
# GetMultipleOrderItems refuses long lists (E038 "Too many orders were requested"); the cap is unverified.
ITEMS_BATCH = 50
# ApiCallLimit carries no wait time, so the client backs off by its own (unverified) amount.
THROTTLE_BACKOFF_SECONDS = 1.0
THROTTLE_CODES = frozenset({"ApiCallLimit"})
AUTH_CODES = frozenset({"IllegalAccessToken", "InvalidAccessToken"})


def sign(secret: str, api_path: str, params: dict[str, str]) -> str:
    """UPPER(HEX(HMAC_SHA256(secret, api_path + k1v1k2v2...))) over every parameter but `sign`, sorted."""
    concat = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hmac.new(secret.encode(), (api_path + concat).encode(), hashlib.sha256).hexdigest().upper()


def lazada_time(moment: datetime) -> str:
    """GetOrders wants YYYY-MM-DDTHH:mm:ss±HH:MM (E017 otherwise)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def raise_for_error(body: object, what: str) -> dict:
    """Lazada answers every call with {code, ...}; code "0" is success, anything else a typed error."""
    if not isinstance(body, dict) or "code" not in body:
        raise PlatformError(f"Lazada {what}: unexpected response {str(body)[:200]!r}", code="bad_response")
    code = str(body["code"])
    if code == "0":
        return body
    message = f"Lazada {what}: {code} {body.get('message', '')} (request_id {body.get('request_id', '')})"
    if code in THROTTLE_CODES:
        raise RateLimited(message, retry_after=THROTTLE_BACKOFF_SECONDS, code=code)
    if code in AUTH_CODES:
        raise AuthExpired(message, code=code)
    raise PlatformError(message, code=code)


class Client:
    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.base_url = (auth.base_url or DEFAULT_BASE_URL).rstrip("/")

    def call(self, api_path: str, params: dict[str, str], *, post: bool = False) -> dict:
        def once() -> dict:
            system = {
                "app_key": self.auth.app_key,
                "timestamp": str(int(time.time() * 1000)),  # re-stamped per attempt: valid for 7200 s only
                "access_token": self.auth.access_token,
                "sign_method": "sha256",
            }
            system["sign"] = sign(self.auth.app_secret, api_path, {**params, **system})
            url = self.base_url + api_path
            if post:  # as Lazada's SDK does: system parameters in the query, API parameters in the form
                response = request(self.http, "POST", url, params=system, data=params)
            else:
                response = request(self.http, "GET", url, params={**params, **system})
            return raise_for_error(json_body(response), api_path)

        return with_retries(once, what=f"lazada {api_path}")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        for lower, upper in window_slices(start, end, self.window_limit):
            yield from self._slice(lower, upper)

    def _slice(self, lower: datetime, upper: datetime) -> Iterator[list[dict]]:
        """One window, paged by offset from the LAST page backwards.

        Sorted by updated_at ascending with a fixed update_before, an order updated while we page leaves
        the result set and shifts every later row one place towards offset 0. Reading from the end
        backwards, such a shift only re-delivers a row we already have, never skips one; the first page
        was read before any shift, so it is read again at the end instead of being kept from the probe.
        """
        query = {
            "update_after": lazada_time(lower),
            "update_before": lazada_time(upper),
            "sort_by": "updated_at",
            "sort_direction": "ASC",
            "limit": str(PAGE_LIMIT),
        }
        total, orders = self._orders_page(query, 0)
        if total > PAGE_LIMIT:
            last_offset = (total - 1) // PAGE_LIMIT * PAGE_LIMIT
            for offset in range(last_offset, 0, -PAGE_LIMIT):
                _, page = self._orders_page(query, offset)
                if page:
                    yield self._with_items(page)
            _, orders = self._orders_page(query, 0)
        if orders:
            yield self._with_items(orders)

    def _orders_page(self, query: dict[str, str], offset: int) -> tuple[int, list[dict]]:
        data = self.call(ORDERS_PATH, {**query, "offset": str(offset)}).get("data")
        try:
            return int(data.get("countTotal") or 0), list(data["orders"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise PlatformError(
                f"Lazada {ORDERS_PATH}: unreadable data {exc!r}", code="bad_response"
            ) from exc

    def _with_items(self, orders: list[dict]) -> list[dict]:
        """The list API carries no items: fetch them in batches and attach them as `order_items`."""
        items_by_order: dict[str, list[dict]] = {}
        for index in range(0, len(orders), ITEMS_BATCH):
            batch = [str(order["order_id"]) for order in orders[index : index + ITEMS_BATCH]]
            data = self.call(MULTIPLE_ORDER_ITEMS_PATH, {"order_ids": "[" + ",".join(batch) + "]"}).get(
                "data"
            )
            for entry in data if isinstance(data, list) else []:
                items_by_order[str(entry.get("order_id"))] = entry.get("order_items") or []
        attached = []
        for order in orders:
            items = items_by_order.get(str(order["order_id"]))
            if not items:
                raise PlatformError(
                    f"Lazada {MULTIPLE_ORDER_ITEMS_PATH} returned no items for order {order['order_id']}",
                    code="items_missing",
                )
            attached.append({**order, "order_items": items})
        return attached

    def fetch_order(self, platform_order_id: str) -> dict:
        order = self.call(ORDER_PATH, {"order_id": platform_order_id}).get("data")
        items = self.call(ORDER_ITEMS_PATH, {"order_id": platform_order_id}).get("data")
        if not isinstance(order, dict) or not isinstance(items, list):
            raise PlatformError(f"Lazada order {platform_order_id}: unreadable detail", code="bad_response")
        return {**order, "order_items": items}

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the sellable quantity of one SKU, named by SellerSku (our outer code) and its SkuId."""
        sku = {"SellableQuantity": quantity}
        if outer_sku_code:
            sku["SellerSku"] = outer_sku_code
        if platform_sku_id:
            sku["SkuId"] = platform_sku_id
        payload = {"Request": {"Product": {"Skus": {"Sku": [sku]}}}}
        self.call(SELLABLE_STOCK_PATH, {"payload": json.dumps(payload, separators=(",", ":"))}, post=True)
