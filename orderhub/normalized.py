"""The one shape every channel's order takes once its platform mapping has read it.

Plain dataclasses: platform adapters produce them, `orderhub.services.order_upsert` consumes them, and
the `normalize` command prints them. Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")  # how sellers and the platforms read times
ORDER_STATUSES = ("pending_payment", "paid", "shipped", "completed", "cancelled")


@dataclass(frozen=True)
class NormalizedReceiver:
    name: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""


@dataclass(frozen=True)
class NormalizedLine:
    platform_sku_id: str
    outer_sku_code: str
    title: str
    quantity: int
    unit_price: Decimal
    paid_amount: Decimal
    platform_line_id: str = ""


@dataclass(frozen=True)
class NormalizedOrder:
    platform: str
    platform_order_id: str
    status: str
    raw_status: str
    currency: str
    goods_amount: Decimal
    shipping_fee: Decimal
    discount: Decimal
    paid_amount: Decimal
    created_at: datetime | None
    paid_at: datetime | None
    updated_at: datetime | None
    buyer_id: str = ""
    buyer_remark: str = ""
    seller_remark: str = ""
    receiver: NormalizedReceiver = field(default_factory=NormalizedReceiver)
    lines: tuple[NormalizedLine, ...] = ()
    platform_shop_id: str = ""
    # Platform facts that are not an order status of their own (partial shipment, blocked by the
    # platform, cancel requested); the upsert turns some of them into holds.
    flags: frozenset[str] = frozenset()
    is_cod: bool = False
    # Presale orders: the deposit is paid while the order still waits for its balance.
    deposit_paid_at: datetime | None = None
    balance_due_at: datetime | None = None

    def __post_init__(self):
        if self.status not in ORDER_STATUSES:
            raise ValueError(f"unknown standard status {self.status!r}")
        if not self.platform_order_id:
            raise ValueError("platform_order_id is empty")

    def to_json(self) -> dict:
        """The documented JSON shape: decimals as strings, times in ISO 8601 with offset."""
        data = asdict(self)
        data.pop("flags")
        data.pop("platform_shop_id")
        for name in ("seller_remark", "is_cod", "deposit_paid_at", "balance_due_at"):
            data.pop(name)
        for line in data["lines"]:
            line.pop("platform_line_id")
        return _jsonable(data)


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(DISPLAY_ZONE).isoformat()
    return value
