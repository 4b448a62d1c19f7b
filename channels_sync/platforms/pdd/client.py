"""Pinduoduo open platform: md5-signed form POSTs to the gw-api router, incremental order pulls."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.util import unseen, window_slices
from channels_sync.stock import item_id_of

# Base URLs (the real host or the sandbox's /pdd) name the host; every API goes to its router path.
GATEWAY = "https://gw-api.pinduoduo.com"
ROUTER_PATH = "/api/router"
INCREMENT_API = "pdd.order.number.list.increment.get"
INCREMENT_ROOT = "order_sn_increment_get_response"
DETAIL_API = "pdd.order.information.get"
DETAIL_ROOT = "order_info_get_response"
STOCK_API = "pdd.goods.quantity.update"
STOCK_ROOT = "goods_quantity_update_response"
STOCK_FULL_UPDATE = 1  # update_type: 1 sets the quantity, 2 adds to it

# start_updated_at and end_updated_at may be at most 30 minutes apart.
WINDOW_LIMIT = timedelta(minutes=30)
PAGE_SIZE = 100  # the API's maximum

ERROR_PARAMETER = 10000
ERROR_TOKEN_EXPIRED = 10019
ERROR_SIGNATURE = 20004
# Unverified: no public source names PDD's throttle code. One SDK sets limiters of 600 calls / 60 s.
ERROR_THROTTLED = 70031
# The throttle answer carries no wait time; one second is the short limiter window.
THROTTLE_RETRY_AFTER_SECONDS = 1.0


def sign(params: dict[str, str], client_secret: str) -> str:
    """UPPER(MD5(client_secret + k1v1k2v2... sorted by name + client_secret)), `sign` itself excluded."""
    concat = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign")
    digest = hashlib.md5((client_secret + concat + client_secret).encode(), usedforsecurity=False)
    return digest.hexdigest().upper()


def check_response(body: dict, root: str) -> dict:
    """The response object under `root`, or the typed error PDD's `error_response` stands for."""
    error = body.get("error_response")
    if error is not None:
        code = str(error.get("error_code", ""))
        message = f"PDD error {code}: {error.get('error_msg', '')} {error.get('sub_msg') or ''}".strip()
        if code == str(ERROR_THROTTLED):
            raise RateLimited(message, retry_after=THROTTLE_RETRY_AFTER_SECONDS, code=code)
        if code == str(ERROR_TOKEN_EXPIRED):
            raise AuthExpired(message, code=code)
        raise PlatformError(message, code=code)
    payload = body.get(root)
    if not isinstance(payload, dict):
        raise PlatformError(f"PDD response has no {root}: {str(body)[:200]}", code="bad_response")
    return payload


class Client:
    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.url = (auth.base_url or GATEWAY).rstrip("/") + ROUTER_PATH

    def call(self, api: str, root: str, **business) -> dict:
        def attempt() -> dict:
            params = {
                "type": api,
                "client_id": self.auth.app_key,
                "access_token": self.auth.access_token,
                "timestamp": str(int(time.time())),  # fresh on every retry
                "data_type": "JSON",
                "version": "V1",
                **{name: str(value) for name, value in business.items()},
            }
            params["sign"] = sign(params, self.auth.app_secret)
            return check_response(json_body(request(self.http, "POST", self.url, data=params)), root)

        return with_retries(attempt, what=f"pdd {api}")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        seen: set[str] = set()
        for lower, upper in window_slices(start, end, WINDOW_LIMIT):
            for orders in self._slice_pages(lower, upper):
                # Slices share their boundary second and a backward walk may see an order twice.
                fresh = unseen(orders, seen, key=lambda order: str(order.get("order_sn")))
                if fresh:
                    yield fresh

    def _slice_pages(self, lower: datetime, upper: datetime) -> Iterator[list[dict]]:
        query = {
            "start_updated_at": int(lower.timestamp()),
            "end_updated_at": int(upper.timestamp()),
            "is_lucky_flag": 0,
            "order_status": 5,
            "refund_status": 5,
            "page_size": PAGE_SIZE,
        }
        first = self._list_page(query, 1)
        last_page = max(1, -(-int(first.get("total_count") or 0) // PAGE_SIZE))
        if last_page == 1:
            yield _order_list(first)
            return
        # An order modified while we page leaves the window and shifts later ones forward; walking
        # from the last page back to the first turns that shift into a re-read instead of a miss.
        for page in range(last_page, 0, -1):
            yield _order_list(self._list_page(query, page))

    def _list_page(self, query: dict, page: int) -> dict:
        return self.call(INCREMENT_API, INCREMENT_ROOT, **query, page=page)

    def fetch_order(self, platform_order_id: str) -> dict:
        info = self.call(DETAIL_API, DETAIL_ROOT, order_sn=platform_order_id).get("order_info")
        if not isinstance(info, dict):
            raise PlatformError(f"PDD detail for {platform_order_id} has no order_info", code="bad_response")
        return info

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the SKU's stock; PDD wants the goods_id too, from the shop's `item_ids` credential."""
        business = {
            "goods_id": item_id_of(self.auth, platform_sku_id, outer_sku_code),
            "quantity": quantity,
            "update_type": STOCK_FULL_UPDATE,
        }
        if platform_sku_id:
            business["sku_id"] = platform_sku_id
        if outer_sku_code:
            business["outer_id"] = outer_sku_code
        if self.call(STOCK_API, STOCK_ROOT, **business).get("is_success") is not True:
            raise PlatformError(f"PDD {STOCK_API} did not succeed", code="stock_update_failed")


def _order_list(page: dict) -> list[dict]:
    orders = page.get("order_sn_list") or []
    if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
        raise PlatformError("PDD order_sn_list is not a list of orders", code="bad_response")
    return orders
