"""Taobao Open Platform (TOP): signed form POSTs to /router/rest, incremental trade pulls."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import httpx

from channels_sync.platforms.base import AuthExpired, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.taobao.mapping import LIST_RESPONSE, extract_orders, trade_id
from channels_sync.platforms.util import format_beijing, unseen, window_slices
from channels_sync.stock import item_id_of

GATEWAY = "https://gw.api.taobao.com"
ROUTER_PATH = "/router/rest"
INCREMENT_API = "taobao.trades.sold.increment.get"
DETAIL_API = "taobao.trade.fullinfo.get"
STOCK_API = "taobao.item.quantity.update"
STOCK_RESPONSE = "item_quantity_update_response"
STOCK_FULL_UPDATE = "1"  # `type`: 1 sets the quantity, 2 adds to it
SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
DEFAULT_SIGN_METHOD = "hmac-sha256"

# start_modified and end_modified may be at most one day apart.
WINDOW_LIMIT = timedelta(days=1)
MAX_PAGE_SIZE = 100

ERROR_RATE_LIMITED = "7"
ERROR_INVALID_SESSION = "27"
_BAN_SECONDS = re.compile(r"ban will last for (\d+) more seconds")

# Every field taobao/mapping.py reads; TOP returns only the fields asked for.
TRADE_FIELDS = ",".join(
    (
        "tid", "tid_str", "status", "type", "created", "pay_time", "modified",
        "buyer_nick", "buyer_open_uid", "buyer_message", "seller_memo",
        "total_fee", "post_fee", "discount_fee", "adjust_fee", "payment",
        "receiver_name", "receiver_mobile", "receiver_phone", "receiver_state", "receiver_city",
        "receiver_district", "receiver_town", "receiver_address", "receiver_zip",
        "orders",
    )
)  # fmt: skip


def sign(params: Mapping[str, str], secret: str, sign_method: str = DEFAULT_SIGN_METHOD) -> str:
    """TOP signature over every parameter but `sign` and empty ones, sorted by name as k1v1k2v2…

    md5: UPPER(MD5(secret + concat + secret)); hmac: UPPER(HMAC_MD5(secret, concat));
    hmac-sha256: UPPER(HMAC_SHA256(secret, concat)).
    """
    concat = "".join(
        f"{name}{params[name]}" for name in sorted(params) if name != "sign" and params[name] != ""
    )
    if sign_method == "md5":
        return hashlib.md5((secret + concat + secret).encode(), usedforsecurity=False).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(secret.encode(), concat.encode(), hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(secret.encode(), concat.encode(), hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown TOP sign_method {sign_method!r}; expected one of {SIGN_METHODS}")


def raise_for_error(body: dict) -> None:
    """Raises the typed error TOP's `error_response` stands for; returns when there is none."""
    if not isinstance(body, dict):
        raise PlatformError(f"Taobao answered {type(body).__name__}, not a JSON object", code="bad_response")
    error = body.get("error_response")
    if error is None:
        return
    if not isinstance(error, dict):
        raise PlatformError("Taobao error_response is not an object", code="bad_response")
    code = str(error.get("code", ""))
    sub_code = str(error.get("sub_code") or "")
    message = f"Taobao error {code} {error.get('msg', '')}: {sub_code} {error.get('sub_msg') or ''}".strip()
    if code == ERROR_RATE_LIMITED:
        ban = _BAN_SECONDS.search(str(error.get("sub_msg") or ""))
        # The ban counts whole seconds still to go; one more second avoids waking just before it lifts.
        raise RateLimited(message, retry_after=int(ban.group(1)) + 1 if ban else 1, code=code)
    if code == ERROR_INVALID_SESSION:
        raise AuthExpired(message, code=code)
    raise PlatformError(message, code=sub_code or code)


class Client:
    window_limit = WINDOW_LIMIT

    def __init__(self, auth: ShopAuth, http: httpx.Client):
        self.auth = auth
        self.http = http
        self.url = (auth.base_url or GATEWAY).rstrip("/") + ROUTER_PATH
        self.sign_method = auth.extra.get("sign_method", DEFAULT_SIGN_METHOD)

    def call(self, method: str, **business: str) -> dict:
        def attempt() -> dict:
            params = {
                "method": method,
                "app_key": self.auth.app_key,
                "session": self.auth.access_token,
                "timestamp": format_beijing(datetime.now(UTC)),
                "format": "json",
                "v": "2.0",
                "sign_method": self.sign_method,
                **business,
            }
            params["sign"] = sign(params, self.auth.app_secret, self.sign_method)
            body = json_body(request(self.http, "POST", self.url, data=params))
            raise_for_error(body)
            return body

        return with_retries(attempt, what=f"taobao {method}")

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        seen: set[str] = set()  # slices share their edges, so an order on an edge comes twice
        for lower, upper in window_slices(start, end, self.window_limit):
            for trades in self._window_pages(lower, upper):
                fresh = unseen(trades, seen, key=trade_id)
                if fresh:
                    yield fresh

    def _window_pages(self, lower: datetime, upper: datetime) -> Iterator[list[dict]]:
        def page(number: int) -> dict:
            return self.call(
                INCREMENT_API,
                fields=TRADE_FIELDS,
                start_modified=format_beijing(lower),
                end_modified=format_beijing(upper),
                page_no=str(number),
                page_size=str(MAX_PAGE_SIZE),
            )

        first = page(1)
        try:
            total = int((first.get(LIST_RESPONSE) or {}).get("total_results") or 0)
        except (TypeError, ValueError) as exc:
            raise PlatformError(
                f"Taobao {INCREMENT_API} total_results unreadable", code="bad_response"
            ) from exc
        last = max(1, math.ceil(total / MAX_PAGE_SIZE))
        if last == 1:
            yield extract_orders(first)
            return
        # Trades come newest-modified first. One modified while we page leaves the window and pulls the
        # later ones a place forward; reading from the last page back, such a shift only moves trades
        # onto pages still to be read, so none is skipped.
        for number in range(last, 0, -1):
            yield extract_orders(page(number))

    def fetch_order(self, platform_order_id: str) -> dict:
        return extract_orders(self.call(DETAIL_API, fields=TRADE_FIELDS, tid=str(platform_order_id)))[0]

    def update_stock(self, *, platform_sku_id: str, outer_sku_code: str, quantity: int) -> None:
        """Sets the SKU's sellable quantity. TOP needs the item's num_iid, which orders do not tell us:
        it comes from the shop's credentials, `item_ids` {platform SKU id or outer code: num_iid}."""
        num_iid = item_id_of(self.auth, platform_sku_id, outer_sku_code)
        business = {"num_iid": num_iid, "quantity": str(quantity), "type": STOCK_FULL_UPDATE}
        if platform_sku_id:
            business["sku_id"] = platform_sku_id
        if outer_sku_code:
            business["outer_id"] = outer_sku_code  # TOP goes by sku_id when both are given
        if STOCK_RESPONSE not in self.call(STOCK_API, **business):
            raise PlatformError(f"Taobao {STOCK_API} answered without {STOCK_RESPONSE}", code="bad_response")
