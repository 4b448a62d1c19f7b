"""The surface every platform package offers, and the errors its calls raise.

Each package under `channels_sync/platforms/<name>/` has `client.py` (sign, call, paginate),
`mapping.py` (raw payload → NormalizedOrder, status table) and, where the platform pushes, `push.py`
(verify and parse). Its `__init__.py` exposes `ADAPTER`, a `PlatformAdapter` naming those pieces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import httpx

from orderhub.normalized import NormalizedOrder


class PlatformError(Exception):
    """A call the platform answered with an error of its own."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class RateLimited(PlatformError):
    def __init__(self, message: str, *, retry_after: float, code: str = ""):
        super().__init__(message, code=code, retryable=True)
        self.retry_after = retry_after


class AuthExpired(PlatformError):
    """The shop's access token is invalid or expired: a person must re-authorise the shop."""


class PayloadError(ValueError):
    """A payload that cannot be read as this platform's order, refund or push."""


@dataclass(frozen=True)
class ShopAuth:
    """What a client needs to call the platform for one shop (from Shop and its encrypted credentials)."""

    app_key: str
    app_secret: str
    access_token: str = ""
    platform_shop_id: str = ""
    base_url: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PushMessage:
    """One message out of a push body (a body may carry several)."""

    kind: str  # "order" | "refund" | "other"
    topic: str  # the platform's tag / type / topic
    external_id: str  # platform order id (or refund id for kind="refund")
    message_id: str  # the platform's delivery id, for webhook dedup
    platform_shop_id: str
    payload: dict  # the message itself, decoded
    needs_fetch: bool  # True when the message only announces a change and the detail must be fetched
    order_id: str = ""  # the order a refund message belongs to


@dataclass(frozen=True)
class PushReply:
    status: int
    body: dict | str
    content_type: str = "application/json"


class OrderClient(Protocol):
    window_limit: timedelta

    def fetch_orders(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        """Every order modified in [start, end), page by page (raw dicts the mapping reads).

        Splits the window into the platform's limit and pages the way the platform requires.
        """

    def fetch_order(self, platform_order_id: str) -> dict:
        """The full detail of one order, as the mapping reads it."""


@dataclass(frozen=True)
class PushHandler:
    verify: Callable[[dict[str, str], bytes, ShopAuth], bool]
    parse: Callable[[dict[str, str], bytes], list[PushMessage]]
    reply: Callable[[bool], PushReply]
    # Reads the shop's platform id from the headers and body before the signature can be checked.
    shop_id_of: Callable[[dict[str, str], bytes], str]


@dataclass(frozen=True)
class PlatformAdapter:
    name: str
    client_class: Callable[[ShopAuth, httpx.Client], OrderClient]
    normalize: Callable[[dict], NormalizedOrder]  # one raw order (as fetched or listed) → normalized
    extract_orders: Callable[[object], list[dict]]  # list / detail response or push body → raw orders
    default_base_url: str
    push: PushHandler | None = None
