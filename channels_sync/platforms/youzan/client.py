"""Youzan Cloud (有赞云): token, calls, error envelope, paging of youzan.trades.sold.get.

Youzan has no per-request signature: a call is authorised by the `access_token` query parameter alone.
The only signature is on pushes, `Event-Sign = md5(client_id + raw_body + client_secret)`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NoReturn

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.util import format_beijing, window_slices
from channels_sync.stock import item_id_of

from .mapping import order_id_of

GATEWAY = "https://open.youzanyun.com"
TOKEN_PATH = "/auth/token"  # noqa: S105 - a URL path, not a secret
TRADES_SOLD_GET = ("youzan.trades.sold.get", "4.0.4")
TRADE_GET = ("youzan.trade.get", "4.0.2")
# Full or incremental stock of an item or one of its SKUs; `type` 0 sets the quantity, 1 adds to it.
ITEM_QUANTITY_UPDATE = ("youzan.item.quantity.update", "3.0.0")
STOCK_FULL_UPDATE = 0

# "≤3 months" between start_update and end_update; 89 days fits inside every three calendar months.
WINDOW_LIMIT = timedelta(days=89)
PAGE_SIZE = 100
# page_no × page_size may not pass 3 200 or 10 000 depending on the 4.0.x version: assume the lower cap.
PAGE_DEPTH_LIMIT = 3200

# Gateway (gw_err_resp.err_code) 4201 bad credential, 4202 credential expired, 4203 credential unknown.
TOKEN_INVALID_CODES = frozenset({"4201", "4202", "4203"})
# 4101 is the gateway's "请求太频繁"; the two long codes are the business layer's "请求被限流".
THROTTLE_CODES = frozenset({"4101", "500100004", "123000042"})
# Youzan names no wait; its docs say to back off 3 s, 6 s, 12 s ... so the first step is 3 s.
THROTTLE_RETRY_AFTER = 3


def event_sign(client_id: str, content: bytes, client_secret: str) -> str:
    """md5(client_id + content + client_secret) in lower-case hex.

    With the raw push body as content this is the `Event-Sign` header; with the body's `msg` string it
    is the legacy `sign` field inside the body.
    """
    digest = hashlib.md5(client_id.encode() + content + client_secret.encode(), usedforsecurity=False)
    return digest.hexdigest()


def unwrap(body: object) -> dict:
    """The `data` of a Youzan answer, or the typed error its gateway or business layer reported."""
    if not isinstance(body, dict):
        raise PlatformError(f"youzan answered {type(body).__name__}, not an object", code="bad_response")
    gateway = body.get("gw_err_resp")
    if gateway is not None:
        if not isinstance(gateway, dict):
            raise PlatformError(f"youzan gateway error: {gateway!r}", code="gateway")
        _raise(str(gateway.get("err_code", "")), str(gateway.get("err_msg", "")))
    if body.get("success") is not True or str(body.get("code")) != "200":
        _raise(str(body.get("code", "")), str(body.get("message", "")))
    data = body.get("data")
    if not isinstance(data, dict):
        raise PlatformError("youzan answered success without a data object", code="bad_response")
    return data


def _raise(code: str, message: str) -> NoReturn:
    text = f"youzan error {code}: {message}"
    if code in TOKEN_INVALID_CODES:
        raise AuthExpired(text, code=code)
    if code in THROTTLE_CODES:
        raise RateLimited(text, retry_after=THROTTLE_RETRY_AFTER, code=code)
    raise PlatformError(text, code=code)


class Client:
    """One shop's Youzan calls.

    `auth.app_key`/`app_secret` are the app's client_id/client_secret and `auth.platform_shop_id` the
    shop's kdt_id (the grant_id of silent authorisation). A token in `auth.access_token` is used as
    given; without one the client asks /auth/token for a silent token and renews it once when the
    gateway calls it invalid.
    """

    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.base_url = (auth.base_url or GATEWAY).rstrip("/")
        self._token = auth.access_token

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        # Bounds are sent at whole seconds and Youzan includes both ends, so neighbouring slices
        # (and re-read pages) can repeat an order: each tid is yielded once per pull.
        seen: set[str] = set()
        for lower, upper in window_slices(start, end, self.window_limit):
            yield from self._fetch_window(lower, upper, seen)

    def fetch_order(self, platform_order_id: str) -> dict:
        data = self._call(*TRADE_GET, {"tid": platform_order_id})
        if not isinstance(data.get("full_order_info"), dict):
            raise PlatformError(
                f"youzan trade.get {platform_order_id} has no full_order_info", code="bad_response"
            )
        return data

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the SKU's stock; Youzan wants the item_id too, from the shop's `item_ids` credential."""
        item_id = item_id_of(self.auth, platform_sku_id, outer_sku_code)
        params = {"item_id": int(item_id), "quantity": quantity, "type": STOCK_FULL_UPDATE}
        if platform_sku_id and platform_sku_id != item_id:  # an item without SKUs is its own SKU
            params["sku_id"] = int(platform_sku_id)
        if self._call(*ITEM_QUANTITY_UPDATE, params).get("is_success") is not True:
            raise PlatformError(
                f"youzan {ITEM_QUANTITY_UPDATE[0]} did not succeed", code="stock_update_failed"
            )

    def _fetch_window(self, start: datetime, end: datetime, seen: set[str]) -> Iterator[list[dict]]:
        first = self._list_page(start, end, 1)
        total = int(first.get("total_results") or 0)
        if total > PAGE_DEPTH_LIMIT:
            # Pages beyond the depth cap cannot be read at all: halve the window until each half fits.
            middle = start + (end - start) / 2
            if middle - start < timedelta(seconds=1):
                raise PlatformError(
                    f"youzan: {total} orders changed within one second; the page-depth cap hides some",
                    code="page_depth",
                )
            yield from self._fetch_window(start, middle, seen)
            yield from self._fetch_window(middle, end, seen)
            return
        pages = math.ceil(total / PAGE_SIZE)
        if pages <= 1:
            if rows := self._fresh(first, seen):
                yield rows
            return
        # Orders updated while we page leave the window and shift later rows forward: reading from
        # the last page back to the first turns that shift into repeats (dropped by `seen`) instead of
        # gaps. Page 1 is read again last because rows may have moved into it since the first read.
        for page_no in range(pages, 0, -1):
            if rows := self._fresh(self._list_page(start, end, page_no), seen):
                yield rows

    def _fresh(self, data: dict, seen: set[str]) -> list[dict]:
        rows = data.get("full_order_info_list") or []
        if not isinstance(rows, list):
            raise PlatformError("youzan full_order_info_list is not a list", code="bad_response")
        fresh = []
        for row in rows:
            tid = order_id_of(row)
            if tid not in seen:
                seen.add(tid)
                fresh.append(row)
        return fresh

    def _list_page(self, start: datetime, end: datetime, page_no: int) -> dict:
        params = {
            "start_update": format_beijing(start),
            "end_update": format_beijing(end),
            "page_no": page_no,
            "page_size": PAGE_SIZE,
        }
        return self._call(*TRADES_SOLD_GET, params)

    def _call(self, api: str, version: str, params: dict) -> dict:
        url = f"{self.base_url}/api/{api}/{version}"
        try:
            return with_retries(lambda: self._post(url, params), what=f"youzan {api}")
        except AuthExpired:
            if self.auth.access_token or not self._token:
                raise  # a token the shop gave us cannot be renewed here, nor can a refused issue
            self._token = ""  # silent authorisation: a fresh token is one call away
            return with_retries(lambda: self._post(url, params), what=f"youzan {api}")

    def _post(self, url: str, params: dict) -> dict:
        response = request(self.http, "POST", url, params={"access_token": self._access_token()}, json=params)
        return unwrap(json_body(response))

    def _access_token(self) -> str:
        if not self._token:
            self._token = with_retries(self._issue_token, what="youzan auth/token")
        return self._token

    def _issue_token(self) -> str:
        payload = {
            "client_id": self.auth.app_key,
            "client_secret": self.auth.app_secret,
            "authorize_type": "silent",
            "grant_id": self.auth.platform_shop_id,
        }
        body = json_body(request(self.http, "POST", f"{self.base_url}{TOKEN_PATH}", json=payload))
        try:
            data = unwrap(body)
        except PlatformError as exc:
            if exc.retryable or isinstance(exc, AuthExpired):
                raise
            # 1000 wrong secret, 1103 unknown client or grant: a person must fix the shop's credentials.
            raise AuthExpired(f"youzan refused a silent token: {exc}", code=exc.code) from exc
        token = data.get("access_token")
        if not token:
            raise PlatformError("youzan auth/token answered without access_token", code="bad_response")
        return str(token)
