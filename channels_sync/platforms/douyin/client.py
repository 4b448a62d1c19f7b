"""Douyin shop (抖店) open API: hmac-sha256 signed POSTs, order.searchList pulls and order details."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.util import unseen, window_slices

GATEWAY = "https://openapi-fxg.jinritemai.com"
API_VERSION = "2"
SIGN_METHOD = "hmac-sha256"
SEARCH_METHOD = "order.searchList"
DETAIL_METHOD = "order.orderDetail"
STOCK_METHOD = "sku.syncStock"

# Unverified: Doudian documents no update_time range limit for order.searchList. Thirty minutes
# keeps each slice well inside any limit and its page count small.
WINDOW_LIMIT = timedelta(minutes=30)
PAGE_SIZE = 100  # the API's maximum

CODE_OK = 10000
CODE_PLATFORM_PARAMETER = 40003  # "非法的参数（平台校验）": signature, token and app key failures
CODE_BUSINESS_PARAMETER = 40004  # "非法的参数（业务校验）"
CODE_BUSINESS_FAILED = 50002
# Unverified: third-party SDKs list 60000 "触发限流，请稍后重试"; PLATFORMS.md has no throttle code.
CODE_THROTTLED = 60000
THROTTLE_RETRY_AFTER_SECONDS = 1.0  # the answer names no wait time
SUB_SIGNATURE_INVALID = "isv.signature-invalid"
# Error sub-codes, not credentials.
SUB_TOKEN_EXPIRED = "isv.access-token-expired"  # noqa: S105
SUB_TOKEN_UNKNOWN = "isv.access-token-no-existed"  # noqa: S105
SUB_TOKEN_MISMATCH = "isv.access-token-invalid"  # noqa: S105
AUTH_SUB_CODES = frozenset(
    {
        SUB_TOKEN_EXPIRED,
        SUB_TOKEN_UNKNOWN,
        SUB_TOKEN_MISMATCH,
        "dop.authorization-no-existed",
        "dop.authorization-closed",
    }
)


def param_json(params: dict) -> str:
    """The business params exactly as signed and sent: compact, keys sorted at every depth, no escaping."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(app_key: str, app_secret: str, method: str, params_json: str, timestamp: str) -> str:
    """HEX(HMAC_SHA256(secret, secret + "app_key"+ak + "method"+m + "param_json"+pj + "timestamp"+ts
    + "v2" + secret)); pj is the exact body sent."""
    plain = (
        f"{app_secret}app_key{app_key}method{method}param_json{params_json}"
        f"timestamp{timestamp}v{API_VERSION}{app_secret}"
    )
    return hmac.new(app_secret.encode(), plain.encode(), hashlib.sha256).hexdigest()


def check_response(body: dict) -> dict:
    """The envelope's `data`, or the typed error a code other than 10000 stands for."""
    code, sub_code = body.get("code"), str(body.get("sub_code") or "")
    if str(code) == str(CODE_OK):
        data = body.get("data")
        if not isinstance(data, dict):
            raise PlatformError("Doudian answer without data", code="bad_response")
        return data
    message = f"Doudian error {code} {sub_code}: {body.get('msg', '')} {body.get('sub_msg') or ''}".strip()
    if str(code) == str(CODE_THROTTLED):
        raise RateLimited(message, retry_after=THROTTLE_RETRY_AFTER_SECONDS, code=str(code))
    if sub_code in AUTH_SUB_CODES:
        raise AuthExpired(message, code=str(code))
    raise PlatformError(message, code=str(code))


class Client:
    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.base_url = (auth.base_url or GATEWAY).rstrip("/")

    def call(self, method: str, params: dict) -> dict:
        body = param_json(params)

        def attempt() -> dict:
            timestamp = str(int(time.time()))  # fresh on every retry
            query = {
                "app_key": self.auth.app_key,
                "method": method,
                "access_token": self.auth.access_token,
                "timestamp": timestamp,
                "v": API_VERSION,
                "sign_method": SIGN_METHOD,
                "sign": sign(self.auth.app_key, self.auth.app_secret, method, body, timestamp),
            }
            response = request(
                self.http,
                "POST",
                f"{self.base_url}/{method.replace('.', '/')}",
                params=query,
                content=body.encode(),
                headers={"Content-Type": "application/json"},
            )
            return check_response(json_body(response))

        return with_retries(attempt, what=f"douyin {method}")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        seen: set[str] = set()
        for lower, upper in window_slices(start, end, WINDOW_LIMIT):
            for orders in self._slice_pages(lower, upper):
                # Neighbouring slices share their boundary second.
                fresh = unseen(orders, seen, key=lambda order: str(order.get("order_id")))
                if fresh:
                    yield fresh

    def _slice_pages(self, lower: datetime, upper: datetime) -> Iterator[list[dict]]:
        query = {
            "update_time_start": int(lower.timestamp()),
            "update_time_end": int(upper.timestamp()),
            "order_by": "update_time",
            "size": PAGE_SIZE,
        }
        page = 0
        while True:
            data = self.call(SEARCH_METHOD, {**query, "page": page})
            orders = data.get("shop_order_list") or []
            if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
                raise PlatformError("Doudian shop_order_list is not a list of orders", code="bad_response")
            yield orders
            page += 1
            if not orders or page * PAGE_SIZE >= int(data.get("total") or 0):
                return

    def fetch_order(self, platform_order_id: str) -> dict:
        detail = self.call(DETAIL_METHOD, {"shop_order_id": platform_order_id}).get("shop_order_detail")
        if not isinstance(detail, dict):
            raise PlatformError(f"Doudian detail for {platform_order_id} is missing", code="bad_response")
        return detail

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the SKU's stock (incremental false) by sku_id, or by its code when we have no id."""
        params: dict = {"stock_num": quantity, "incremental": False}
        if platform_sku_id.isdigit():
            params["sku_id"] = int(platform_sku_id)
        else:
            params["code"] = outer_sku_code
        self.call(STOCK_METHOD, params)
