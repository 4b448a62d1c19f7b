"""The refund surface every platform package offers in `platforms/<name>/refunds.py`.

Each module defines:

* `WINDOW_LIMIT` (timedelta) — the longest modified-time window its refund list accepts;
* `extract_refunds(body) -> list[dict]` — list / detail response (or a push body carrying the case);
* `normalize_refund(raw) -> NormalizedRefund` — raw status and type kept as sent, amounts to Decimal;
* `fetch_refunds(client, start, end) -> Iterator[list[dict]]` — every case modified in the window;
* `fetch_refund(client, refund_id, order_id) -> dict` — one case's detail;
* `send_decision(client, decision: RefundDecision) -> dict` — approve or reject through the platform.

The client is the platform's order client (`channels_sync.shops.client_for`): same signing, retries and
typed errors. API names that no public page confirmed are marked "unverified" beside their constant.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.registry import PLATFORM_NAMES


@dataclass(frozen=True)
class RefundDecision:
    platform_refund_id: str
    platform_order_id: str
    approve: bool
    reason: str = ""  # required to reject
    amount: Decimal = Decimal("0.00")
    refund_type: str = "refund_only"
    raw_status: str = ""
    extra: dict = field(default_factory=dict)  # platform facts kept from the raw case (version, phase)

    def __post_init__(self):
        if not self.approve and not self.reason.strip():
            raise ValueError("a rejection needs a reason")


def refund_module(platform: str) -> ModuleType:
    if platform not in PLATFORM_NAMES:
        raise LookupError(f"no refund adapter for platform {platform!r}")
    return importlib.import_module(f"channels_sync.platforms.{platform}.refunds")


def readable(what: str):
    """Decorator: KeyError/TypeError/ValueError while reading a raw case become a PayloadError."""

    def wrap(function):
        def read(raw):
            if not isinstance(raw, dict):
                raise PayloadError(f"a {what} is a JSON object, not {type(raw).__name__}")
            try:
                return function(raw)
            except PayloadError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise PayloadError(f"{what} is unreadable: {exc.__class__.__name__} {exc}") from exc

        read.__name__ = function.__name__
        read.__doc__ = function.__doc__
        return read

    return wrap


def dig(body, *path, what: str):
    """body[path[0]][path[1]]…, or a PayloadError naming what is missing."""
    current = body
    for key in path:
        if not isinstance(current, dict) or key not in current:
            raise PayloadError(f"{what}: no {'.'.join(map(str, path))}")
        current = current[key]
    return current
