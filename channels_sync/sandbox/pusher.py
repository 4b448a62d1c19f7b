"""Sends a platform's push for a sandbox order to OrderHub's webhook, with push faults applied."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import httpx

from channels_sync.sandbox.core import FakeOrder, SandboxState
from channels_sync.sandbox.server import platform_module


@dataclass(frozen=True)
class PushResult:
    status: int
    body: str
    malformed: bool = False
    duplicate: bool = False


def push_order(state: SandboxState, order: FakeOrder, hook_url: str, http: httpx.Client) -> list[PushResult]:
    """Pushes the order's current state; may also send a duplicate, a stale copy, or a malformed body."""
    module = platform_module(order.platform)
    shop = state.shop(order.platform, order.shop_id)
    faults = state.faults
    snapshot = copy.deepcopy(order)
    results = []
    malformed = state.chance(faults.malformed_push_rate)
    body = module.push_body(snapshot, shop)
    if malformed:
        body = body[: max(len(body) // 2, 1)]  # cut mid-JSON, signed as if it were whole
    results.append(_send(module, shop, hook_url, body, http, malformed=malformed))
    if not malformed and state.chance(faults.duplicate_push_rate):
        results.append(_send(module, shop, hook_url, body, http, duplicate=True))
    return results


def push_stale_then_current(
    state: SandboxState, before: FakeOrder, after: FakeOrder, hook_url: str, http: httpx.Client
) -> list[PushResult]:
    """Out-of-order delivery: the newer state arrives first, the older one after it."""
    module = platform_module(after.platform)
    shop = state.shop(after.platform, after.shop_id)
    return [
        _send(module, shop, hook_url, module.push_body(after, shop), http),
        _send(module, shop, hook_url, module.push_body(before, shop), http),
    ]


def _send(module, shop, hook_url, body: bytes, http: httpx.Client, **flags) -> PushResult:
    headers = module.push_headers(body, shop, hook_url)
    response = http.post(hook_url, content=body, headers=headers)
    return PushResult(response.status_code, response.text, **flags)
