"""Shopify Admin REST client: orders by updated_at, cursor paging through the Link header."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.util import window_slices
from channels_sync.stock import item_id_of

# Every shop has its own host; the client fills in ShopAuth.platform_shop_id (the myshopify domain).
DEFAULT_BASE_URL = "https://{shop_domain}"
API_VERSION = "2024-10"
# Shopify puts no limit on the updated_at span; 30-day slices are our choice, to keep each cursor walk
# (and a retry after a failure) bounded during a long back-fill.
WINDOW_LIMIT = timedelta(days=30)
PAGE_LIMIT = 250  # orders.json `limit` maximum
INVENTORY_SET_PATH = "/inventory_levels/set.json"
ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"  # noqa: S105 - a header name, not a secret


def second_bounds(lower: datetime, upper: datetime) -> tuple[datetime, datetime] | None:
    """[lower, upper) as the inclusive whole-second range Shopify's updated_at_min/max understand.

    Shopify times have whole seconds and updated_at_max is inclusive, so rounding both ends up and
    stepping the upper one back a second makes consecutive slices meet without sharing an order.
    """

    def ceil(moment: datetime) -> datetime:
        whole = moment.replace(microsecond=0)
        return whole if whole == moment else whole + timedelta(seconds=1)

    first, last = ceil(lower), ceil(upper) - timedelta(seconds=1)
    return (first, last) if first <= last else None


def shopify_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def raise_for_status(response: httpx.Response, what: str) -> None:
    """429 and 5xx are mapped by http.request; here the 4xx Shopify answers with {"errors": ...}."""
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("errors", "")
    except (ValueError, AttributeError):
        detail = response.text[:200]
    message = f"Shopify {what}: HTTP {response.status_code} {detail}"
    if response.status_code == 401:
        raise AuthExpired(message, code="401")
    raise PlatformError(message, code=str(response.status_code))


def next_page_info(response: httpx.Response) -> str | None:
    link = response.links.get("next")
    if not link:
        return None
    values = parse_qs(urlsplit(link.get("url", "")).query).get("page_info")
    return values[0] if values else None


class Client:
    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        base = auth.base_url or DEFAULT_BASE_URL.format(shop_domain=auth.platform_shop_id)
        self.api_url = f"{base.rstrip('/')}/admin/api/{API_VERSION}"

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        def once() -> httpx.Response:
            response = request(
                self.http,
                "GET",
                self.api_url + path,
                params=params,
                headers={ACCESS_TOKEN_HEADER: self.auth.access_token},
            )
            raise_for_status(response, path)
            return response

        return with_retries(once, what=f"shopify {path}")

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the available quantity of the variant's inventory item at the shop's location.

        Shopify keeps stock on the inventory item, not the variant: its id comes from the shop's
        `item_ids` credential {variant id or SKU: inventory_item_id}, the location from `location_id`.
        """
        location_id = self.auth.extra.get("location_id")
        if not location_id:
            raise PlatformError(
                "Shopify stock needs the shop's location_id credential", code="location_unknown"
            )
        body = {
            "location_id": int(location_id),
            "inventory_item_id": int(item_id_of(self.auth, platform_sku_id, outer_sku_code)),
            "available": quantity,
        }

        def once() -> None:
            response = request(
                self.http,
                "POST",
                self.api_url + INVENTORY_SET_PATH,
                json=body,
                headers={ACCESS_TOKEN_HEADER: self.auth.access_token},
            )
            raise_for_status(response, INVENTORY_SET_PATH)

        with_retries(once, what=f"shopify {INVENTORY_SET_PATH}")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        for lower, upper in window_slices(start, end, self.window_limit):
            bounds = second_bounds(lower, upper)
            if bounds is None:
                continue
            params: dict[str, str] | None = {
                "updated_at_min": shopify_time(bounds[0]),
                "updated_at_max": shopify_time(bounds[1]),
                "status": "any",
                "limit": str(PAGE_LIMIT),
            }
            while params:
                response = self.get("/orders.json", params)
                body = json_body(response)
                orders = body.get("orders") if isinstance(body, dict) else None
                if not isinstance(orders, list):
                    raise PlatformError("Shopify /orders.json: no orders list", code="bad_response")
                if orders:
                    yield orders
                page_info = next_page_info(response)
                # The cursor carries the filters: Shopify refuses any other parameter beside it.
                params = {"page_info": page_info, "limit": str(PAGE_LIMIT)} if page_info else None

    def fetch_order(self, platform_order_id: str) -> dict:
        body = json_body(self.get(f"/orders/{platform_order_id}.json"))
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict):
            raise PlatformError(f"Shopify order {platform_order_id}: no order object", code="bad_response")
        return order
