"""Brings the sandbox to life: new orders, orders moving on, and the pushes a platform sends for them.

`run_sandbox` calls `tick()` at the chosen order rate; tests call it directly. A tick never sleeps and
never raises on a failed push: while the web server starts (or restarts) pushes are refused, which a
real platform shrugs off too, and the pulls and back-fills pick those orders up later.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from channels_sync.sandbox.core import FakeOrder, SandboxShop, SandboxState
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.pusher import PushResult, push_order, push_stale_then_current
from channels_sync.sandbox.server import platform_module

# PDD and JD list no unpaid orders, so the sandbox never creates one there.
PAID_ONLY = frozenset({"pdd", "jd"})
CURRENCIES = {"shopee": "SGD", "lazada": "SGD", "shopify": "USD"}  # as seed_demo's shops
PENDING_SHARE = 0.2  # of new orders on platforms that show unpaid ones
CANCEL_SHARE = 0.05  # of paid orders, cancelled instead of shipped
# Status changes per new order: an order needs about two to finish, so they finish about as fast as
# they come and the set of open orders stays small.
ADVANCES_PER_ORDER = 2
SEED_SPAN = timedelta(hours=2)
UNREACHABLE = "unreachable"  # the failure key of a push that got no HTTP answer at all


def _utcnow() -> datetime:
    return datetime.now(tz=UTC)


@dataclass
class DriverStats:
    orders_created: Counter[str] = field(default_factory=Counter)  # by platform
    orders_advanced: int = 0
    pushes_sent: int = 0  # requests OrderHub answered, whatever the answer
    duplicates_sent: int = 0
    stale_pairs_sent: int = 0  # out-of-order deliveries: the newer state first, then the older
    push_failures: Counter[str] = field(default_factory=Counter)  # by HTTP status, or UNREACHABLE

    def summary(self) -> str:
        failures = ", ".join(f"{key}×{count}" for key, count in sorted(self.push_failures.items()))
        failed = sum(self.push_failures.values())
        return (
            f"orders generated {self.orders_created.total()}, advanced {self.orders_advanced}; "
            f"pushes sent {self.pushes_sent} ({self.duplicates_sent} duplicates, "
            f"{self.stale_pairs_sent} out of order), failed {failed}" + (f" ({failures})" if failures else "")
        )


class SandboxDriver:
    def __init__(
        self,
        state: SandboxState,
        hook_base_url: str,
        http: httpx.Client,
        rng: random.Random,
        platforms: Iterable[str],
        now: Callable[[], datetime] = _utcnow,
    ):
        self.state = state
        self.hook_base_url = hook_base_url.rstrip("/")
        self.http = http
        self.rng = rng
        self.platforms = tuple(platforms)
        self.shops = {platform: _first_shop(state, platform) for platform in self.platforms}
        self.now = now
        self.stats = DriverStats()
        self._open: list[FakeOrder] = []  # orders that may still change status
        # Round-robin, so every chosen shop fills at the same pace however few orders a run makes.
        self._next_platform = itertools.cycle(self.platforms)

    def seed(self, per_platform: int) -> int:
        """Orders spread over the last two hours, not pushed: the first pulls and back-fills find them."""
        now = self.now()
        for platform in self.platforms:
            for index in range(per_platform):
                at = now - SEED_SPAN * (per_platform - index) / (per_platform + 1)
                self._create(platform, now=at)
        return per_platform * len(self.platforms)

    def tick(self, orders: int = 1) -> None:
        """Moves some existing orders on, then creates `orders` new ones; pushes every change."""
        now = self.now()
        for _ in range(orders * ADVANCES_PER_ORDER):
            if not self._open:
                break
            self._advance(self._open[self.rng.randrange(len(self._open))], now=now)
        for _ in range(orders):
            self._push(self._create(next(self._next_platform), now=now))

    def _create(self, platform: str, *, now: datetime) -> FakeOrder:
        pending = platform not in PAID_ONLY and self.rng.random() < PENDING_SHARE
        order = generate_order(
            self.state,
            self.shops[platform],
            status="pending_payment" if pending else "paid",
            now=now,
            currency=CURRENCIES.get(platform, "CNY"),
        )
        self.stats.orders_created[platform] += 1
        self._open.append(order)
        return order

    def _advance(self, order: FakeOrder, *, now: datetime) -> None:
        status = _next_status(order.status, self.rng)
        before = copy.deepcopy(order)
        advance_order(self.state, order, status, now=now)
        self.stats.orders_advanced += 1
        if status in {"completed", "cancelled"}:
            self._open.remove(order)
        if self.state.chance(self.state.faults.out_of_order_push_rate):
            self._push(order, before=before)
        else:
            self._push(order)

    def _push(self, order: FakeOrder, *, before: FakeOrder | None = None) -> None:
        if not platform_module(order.platform).PUSHES:
            return
        hook_url = f"{self.hook_base_url}/{order.platform}/"
        try:
            if before is None:
                results = push_order(self.state, order, hook_url, self.http)
            else:
                results = push_stale_then_current(self.state, before, order, hook_url, self.http)
                self.stats.stale_pairs_sent += 1
        except httpx.HTTPError:
            self.stats.push_failures[UNREACHABLE] += 1
            return
        self._count(results)

    def _count(self, results: list[PushResult]) -> None:
        for result in results:
            self.stats.pushes_sent += 1
            self.stats.duplicates_sent += result.duplicate
            if not 200 <= result.status < 300:
                self.stats.push_failures[str(result.status)] += 1


def _first_shop(state: SandboxState, platform: str) -> SandboxShop:
    """The platform's sandbox shop (the demo state has exactly one per platform)."""
    shop = next((shop for shop in state.shops.values() if shop.platform == platform), None)
    if shop is None:
        raise ValueError(f"the sandbox has no {platform} shop")
    return shop


def _next_status(status: str, rng: random.Random) -> str:
    if status == "pending_payment":
        return "paid"
    if status == "paid":
        return "cancelled" if rng.random() < CANCEL_SHARE else "shipped"
    return "completed"  # from shipped; finished orders are no longer open
