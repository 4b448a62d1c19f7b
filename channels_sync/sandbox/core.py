"""The sandbox's platform-neutral state: shops, generated orders, faults, and the request/response types.

Each platform module under `sandbox/platforms/` renders these neutral orders in its own raw shape,
serves its API with the real signing check and limits, and builds its pushes.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class FakeLine:
    line_id: str
    sku_code: str  # our catalogue code; platforms send it as the outer SKU code
    platform_sku_id: str
    title: str
    quantity: int
    unit_price: Decimal
    paid_amount: Decimal


@dataclass
class FakeOrder:
    """An order as the platform knows it, in neutral terms. Status is a standard order status."""

    platform: str
    shop_id: str  # the platform shop id
    order_id: str
    status: str  # pending_payment | paid | shipped | completed | cancelled
    created_at: datetime  # aware
    updated_at: datetime  # aware
    paid_at: datetime | None
    buyer_id: str
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    detail: str
    lines: list[FakeLine]
    shipping_fee: Decimal
    discount: Decimal
    buyer_remark: str = ""
    seller_remark: str = ""
    currency: str = "CNY"
    tracking_number: str = ""
    version: int = 1  # bumped on every change; pushes carry it where the platform does

    @property
    def goods_amount(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))

    @property
    def paid_amount(self) -> Decimal:
        return self.goods_amount + self.shipping_fee - self.discount


@dataclass(frozen=True)
class SandboxShop:
    platform: str
    shop_id: str
    app_key: str
    app_secret: str
    access_token: str
    token_valid: bool = True


@dataclass
class Faults:
    """Fault injection, each a probability per API call or push (0..1), plus fixed latency."""

    latency_ms: int = 0
    throttle_rate: float = 0.0
    throttle_retry_after: int = 1
    error_rate: float = 0.0  # HTTP 5xx
    duplicate_push_rate: float = 0.0
    out_of_order_push_rate: float = 0.0
    malformed_push_rate: float = 0.0
    # Deterministic faults for tests: the next N API calls are throttled / answer 503.
    throttle_next: int = 0
    fail_next: int = 0


@dataclass
class Request:
    method: str
    path: str  # the path below /<platform>, e.g. "/router/rest"
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class Response:
    status: int
    body: dict | list | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SandboxState:
    shops: dict[tuple[str, str], SandboxShop] = field(default_factory=dict)
    orders: dict[tuple[str, str], dict[str, FakeOrder]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (platform, path) served, for tests
    # Writes the platforms received from OrderHub (ship, stock, refund decisions): (platform, api, params).
    received: list[tuple[str, str, dict]] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(20261111))
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_shop(self, shop: SandboxShop) -> SandboxShop:
        with self.lock:
            self.shops[(shop.platform, shop.shop_id)] = shop
            self.orders.setdefault((shop.platform, shop.shop_id), {})
        return shop

    def shop(self, platform: str, shop_id: str) -> SandboxShop | None:
        return self.shops.get((platform, shop_id))

    def shop_by_app_key(self, platform: str, app_key: str) -> SandboxShop | None:
        return next((s for s in self.shops.values() if s.platform == platform and s.app_key == app_key), None)

    def shop_by_token(self, platform: str, token: str) -> SandboxShop | None:
        return next(
            (s for s in self.shops.values() if s.platform == platform and s.access_token == token), None
        )

    def put_order(self, order: FakeOrder) -> FakeOrder:
        with self.lock:
            self.orders.setdefault((order.platform, order.shop_id), {})[order.order_id] = order
        return order

    def shop_orders(self, platform: str, shop_id: str) -> list[FakeOrder]:
        with self.lock:
            return list(self.orders.get((platform, shop_id), {}).values())

    def find_order(self, platform: str, shop_id: str, order_id: str) -> FakeOrder | None:
        return self.orders.get((platform, shop_id), {}).get(order_id)

    def modified_between(
        self, platform: str, shop_id: str, start: datetime, end: datetime
    ) -> list[FakeOrder]:
        """Orders modified in [start, end], newest first (as most platforms sort)."""
        found = [o for o in self.shop_orders(platform, shop_id) if start <= o.updated_at <= end]
        return sorted(found, key=lambda o: (o.updated_at, o.order_id), reverse=True)

    def take(self, counter: str) -> bool:
        """Consumes one unit of a deterministic fault counter (`throttle_next`, `fail_next`)."""
        with self.lock:
            remaining = getattr(self.faults, counter)
            if remaining <= 0:
                return False
            setattr(self.faults, counter, remaining - 1)
            return True

    def chance(self, probability: float) -> bool:
        with self.lock:
            return probability > 0 and self.rng.random() < probability
