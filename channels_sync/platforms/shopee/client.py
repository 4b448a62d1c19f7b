"""Shopee Open Platform v2: signing, the error envelope, get_order_list paging and detail batches."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.util import window_slices
from channels_sync.stock import item_id_of

GATEWAY = "https://partner.shopeemobile.com"
ORDER_LIST_PATH = "/api/v2/order/get_order_list"
ORDER_DETAIL_PATH = "/api/v2/order/get_order_detail"
UPDATE_STOCK_PATH = "/api/v2/product/update_stock"

WINDOW_LIMIT = timedelta(days=15)  # time_to - time_from
PAGE_SIZE = 100
DETAIL_BATCH = 50  # order_sn_list
# get_order_detail leaves these out unless asked; the mapping reads the first seven, fulfilment the rest.
DETAIL_FIELDS = (
    "buyer_user_id",
    "buyer_username",
    "estimated_shipping_fee",
    "recipient_address",
    "note",
    "item_list",
    "pay_time",
    "total_amount",
    "package_list",
    "shipping_carrier",
    "payment_method",
    "cancel_by",
    "cancel_reason",
    "buyer_cancel_reason",
)
# "invalid_acceess_token" is Shopee's own spelling, seen beside the correct one.
AUTH_ERRORS = frozenset({"error_auth", "invalid_access_token", "invalid_acceess_token"})
NO_ERROR = frozenset({"", "-"})  # successful answers carry "" (order APIs) or "-" (returns, push)


def sign(
    partner_key: str, partner_id: str, api_path: str, timestamp: int | str, access_token="", shop_id=""
) -> str:
    """HEX_LOWER(HMAC_SHA256(partner_key, partner_id + api_path + timestamp + access_token + shop_id))."""
    base = f"{partner_id}{api_path}{timestamp}{access_token}{shop_id}"
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def push_signature(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    """The push `Authorization` header: HEX(HMAC_SHA256(partner_key, callback_url + "|" + raw_body))."""
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + raw_body, hashlib.sha256).hexdigest()


def unwrap(body: object) -> dict:
    """The `response` of a Shopee answer, or the typed error its `error` field names.

    Shopee throttles with HTTP 429, which `http.request` already turns into RateLimited.
    """
    if not isinstance(body, dict):
        raise PlatformError(f"shopee answered {type(body).__name__}, not an object", code="bad_response")
    error = str(body.get("error") or "")
    if error not in NO_ERROR:
        text = f"shopee {error}: {body.get('message', '')} (request {body.get('request_id', '')})"
        if error in AUTH_ERRORS:
            raise AuthExpired(text, code=error)
        raise PlatformError(text, code=error)
    response = body.get("response")
    if not isinstance(response, dict):
        raise PlatformError("shopee answered without a response object", code="bad_response")
    return response


class Client:
    """One shop's Shopee calls: `auth.app_key` is the partner_id, `auth.app_secret` the partner_key,
    `auth.platform_shop_id` the shop_id."""

    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.base_url = (auth.base_url or GATEWAY).rstrip("/")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        # time_from/time_to are whole seconds and both included, so an order updated on a slice
        # boundary is listed twice: each order_sn is fetched and yielded once per pull.
        seen: set[str] = set()
        for lower, upper in window_slices(start, end, self.window_limit):
            cursor = ""
            while True:
                page = self._list_page(lower, upper, cursor)
                if order_sns := _new_order_sns(page, seen):
                    yield self._details(order_sns)
                if not page.get("more"):
                    break
                cursor = str(page.get("next_cursor") or "")
                if not cursor:
                    raise PlatformError(
                        "shopee said more orders follow but gave no cursor", code="bad_response"
                    )

    def fetch_order(self, platform_order_id: str) -> dict:
        found = self._details([platform_order_id])
        if not found:
            raise PlatformError(f"shopee has no order {platform_order_id}", code="order_not_found")
        return found[0]

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the seller stock of one model (or of an item without models, model_id 0).

        Our platform SKU id is the model_id (the item_id for an item without models); the item_id comes
        from the shop's `item_ids` credential.
        """
        item_id = item_id_of(self.auth, platform_sku_id, outer_sku_code)
        model_id = 0 if platform_sku_id in ("", item_id) else int(platform_sku_id)
        body = {
            "item_id": int(item_id),
            "stock_list": [{"model_id": model_id, "seller_stock": [{"stock": quantity}]}],
        }
        response = with_retries(lambda: self._send(UPDATE_STOCK_PATH, {}, body), what="shopee update_stock")
        failures = response.get("failure_list") or []
        if failures:
            reason = failures[0].get("failed_reason", "") if isinstance(failures[0], dict) else failures[0]
            raise PlatformError(
                f"shopee update_stock refused model {model_id}: {reason}", code="update_stock_failed"
            )

    def _list_page(self, start: datetime, end: datetime, cursor: str) -> dict:
        params = {
            "time_range_field": "update_time",
            "time_from": int(start.timestamp()),
            "time_to": int(end.timestamp()),
            "page_size": PAGE_SIZE,
            "cursor": cursor,
            "response_optional_fields": "order_status",
        }
        return self._get(ORDER_LIST_PATH, params)

    def _details(self, order_sns: list[str]) -> list[dict]:
        orders = []
        for index in range(0, len(order_sns), DETAIL_BATCH):
            batch = order_sns[index : index + DETAIL_BATCH]
            response = self._get(
                ORDER_DETAIL_PATH,
                {"order_sn_list": ",".join(batch), "response_optional_fields": ",".join(DETAIL_FIELDS)},
            )
            orders.extend(response.get("order_list") or [])
        return orders

    def _get(self, path: str, params: dict) -> dict:
        return with_retries(lambda: self._send(path, params), what=f"shopee {path}")

    def _send(self, path: str, params: dict, body: dict | None = None) -> dict:
        # Signed afresh on every attempt: Shopee refuses a timestamp older than five minutes.
        timestamp = int(time.time())
        auth = self.auth
        common = {
            "partner_id": auth.app_key,
            "timestamp": timestamp,
            "access_token": auth.access_token,
            "shop_id": auth.platform_shop_id,
            "sign": sign(
                auth.app_secret, auth.app_key, path, timestamp, auth.access_token, auth.platform_shop_id
            ),
        }
        url = f"{self.base_url}{path}"
        if body is not None:  # write APIs take the common parameters in the query and a JSON body
            response = request(self.http, "POST", url, params=common, json=body)
        else:
            response = request(self.http, "GET", url, params={**common, **params})
        return unwrap(json_body(response))


def _new_order_sns(page: dict, seen: set[str]) -> list[str]:
    fresh = []
    for row in page.get("order_list") or []:
        order_sn = str(row.get("order_sn") or "") if isinstance(row, dict) else ""
        if not order_sn:
            raise PlatformError("shopee order_list row without order_sn", code="bad_response")
        if order_sn not in seen:
            seen.add(order_sn)
            fresh.append(order_sn)
    return fresh
