"""JD JOS: md5-signed form POSTs to /routerjson with business params in `360buy_param_json`."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.jd.mapping import (
    SEARCH_RESPONSE,
    SEARCH_RESULT,
    STATUSES,
    api_failure,
    extract_orders,
    order_id,
)
from channels_sync.platforms.util import format_beijing, unseen, window_slices

GATEWAY = "https://api.jd.com"
ROUTER_PATH = "/routerjson"
SEARCH_API = "jingdong.pop.order.search"
GET_API = "jingdong.pop.order.get"
# POP's full stock write (skuId, stockNum), as JD's own SDK names it; the answer is
# {"jingdong_stock_write_updateSkuStock_responce": {"code": "0", "success": true}}.
STOCK_API = "jingdong.stock.write.updateSkuStock"
STOCK_RESPONSE = "jingdong_stock_write_updateSkuStock_responce"

# start_date and end_date may be one month apart; 28 days fits inside every calendar month.
WINDOW_LIMIT = timedelta(days=28)
MAX_PAGE_SIZE = 100

ERROR_INVALID_AUTH = "19"  # invalid access_token
# Unverified: JOS's gateway table as quoted by a third-party ERP blog lists code 2 "App Call Limited";
# no JD source confirms it. The answer carries no wait time, so the retry waits a fixed pause.
ERROR_RATE_LIMITED = "2"
RATE_LIMIT_RETRY_SECONDS = 5.0

# order_state is required: every state the mapping knows, so nothing is filtered out.
ORDER_STATES = ",".join(STATUSES)
# optional_fields is required: every field jd/mapping.py reads.
ORDER_FIELDS = ",".join(
    (
        "orderId", "venderId", "orderState", "orderTotalPrice", "orderSellerPrice", "orderPayment",
        "freightPrice", "sellerDiscount", "orderStartTime", "paymentConfirmTime", "modified", "pin",
        "orderRemark", "venderRemark", "consigneeInfo", "itemInfoList", "couponDetailList", "parentOrderId",
    )
)  # fmt: skip


def sign(params: Mapping[str, str], secret: str) -> str:
    """UPPER(MD5(secret + k1v1k2v2… + secret)) over the sorted system params incl. 360buy_param_json."""
    concat = "".join(
        f"{name}{params[name]}" for name in sorted(params) if name != "sign" and params[name] != ""
    )
    return hashlib.md5((secret + concat + secret).encode(), usedforsecurity=False).hexdigest().upper()


def param_json(business: Mapping[str, object]) -> str:
    return json.dumps(business, ensure_ascii=False, separators=(",", ":"))


def raise_for_error(body: dict) -> None:
    """Raises the typed error for JD's `error_response`, or for a result whose apiResult failed."""
    if not isinstance(body, dict):
        raise PlatformError(f"JD answered {type(body).__name__}, not a JSON object", code="bad_response")
    error = body.get("error_response")
    if error is not None:
        if not isinstance(error, dict):
            raise PlatformError("JD error_response is not an object", code="bad_response")
        code = str(error.get("code", ""))
        message = f"JD error {code}: {error.get('en_desc') or error.get('zh_desc') or ''}".strip()
        if code == ERROR_RATE_LIMITED:
            raise RateLimited(message, retry_after=RATE_LIMIT_RETRY_SECONDS, code=code)
        if code == ERROR_INVALID_AUTH:
            raise AuthExpired(message, code=code)
        raise PlatformError(message, code=code)
    for name, response in body.items():  # the one "<api>_responce" wrapper
        if not isinstance(response, dict):
            continue
        if str(response.get("code", "0")) != "0":
            code = str(response["code"])
            raise PlatformError(f"JD {name} error {code}: {response.get('zh_desc') or ''}".strip(), code=code)
        for result in response.values():
            failure = api_failure(result) if isinstance(result, dict) else None
            if failure:
                raise PlatformError(f"JD {name} failed: {failure[1]}", code=failure[0])


class Client:
    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.url = (auth.base_url or GATEWAY).rstrip("/") + ROUTER_PATH

    def call(self, method: str, business: Mapping[str, object]) -> dict:
        def attempt() -> dict:
            params = {
                "method": method,
                "app_key": self.auth.app_key,
                "access_token": self.auth.access_token,
                "timestamp": format_beijing(datetime.now(UTC)),
                "v": "2.0",
                "360buy_param_json": param_json(business),
            }
            params["sign"] = sign(params, self.auth.app_secret)
            body = json_body(request(self.http, "POST", self.url, data=params))
            raise_for_error(body)
            return body

        return with_retries(attempt, what=f"jd {method}")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        seen: set[str] = set()  # slices share their edges, so an order on an edge comes twice
        for lower, upper in window_slices(start, end, self.window_limit):
            page, last = 1, 1
            while page <= last:
                body = self.call(SEARCH_API, search_params(lower, upper, page))
                last = max(1, math.ceil(_order_total(body) / MAX_PAGE_SIZE))
                fresh = unseen(extract_orders(body), seen, key=order_id)
                if fresh:
                    yield fresh
                page += 1

    @staticmethod
    def _search_params(lower: datetime, upper: datetime, page: int) -> dict[str, str]:
        return {
            "start_date": format_beijing(lower),
            "end_date": format_beijing(upper),
            "order_state": ORDER_STATES,
            "optional_fields": ORDER_FIELDS,
            "page": str(page),
            "page_size": str(MAX_PAGE_SIZE),
            "dateType": "0",  # the window filters on modification time, not creation
        }

    def fetch_order(self, platform_order_id: str) -> dict:
        business = {
            "order_id": str(platform_order_id),
            "optional_fields": ORDER_FIELDS,
            "order_state": ORDER_STATES,
        }
        orders = extract_orders(self.call(GET_API, business))
        if not orders:
            raise PlatformError(f"JD has no order {platform_order_id}", code="not_found")
        return orders[0]

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the SKU's stock; JD addresses stock by its skuId only, never by the outer code."""
        if not platform_sku_id:
            raise PlatformError(
                f"JD needs the skuId to update stock of {outer_sku_code}", code="sku_id_missing"
            )
        body = self.call(STOCK_API, {"skuId": platform_sku_id, "stockNum": quantity})
        answer = body.get(STOCK_RESPONSE)
        if not isinstance(answer, dict) or answer.get("success") is not True:
            detail = answer.get("message", "") if isinstance(answer, dict) else body
            raise PlatformError(f"JD {STOCK_API} failed: {detail}", code="stock_update_failed")


def search_params(lower: datetime, upper: datetime, page: int) -> dict[str, str]:
    return {
        "start_date": format_beijing(lower),
        "end_date": format_beijing(upper),
        "order_state": ORDER_STATES,
        "optional_fields": ORDER_FIELDS,
        "page": str(page),
        "page_size": str(MAX_PAGE_SIZE),
        "dateType": "0",  # the window filters on modification time, not creation
    }


def _order_total(body: dict) -> int:
    try:
        return int(body[SEARCH_RESPONSE][SEARCH_RESULT]["orderTotal"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PlatformError(f"JD {SEARCH_API} answered without orderTotal", code="bad_response") from exc
