"""The one shape every channel's refund / after-sales case takes once its platform mapping read it.

Beside `orderhub.normalized`: platform refund mappings produce it, the refunds app consumes it. The
standard status is *not* decided here: platform + raw status (+ type) → status is a table staff edit
(refunds.RefundStatusMapping), so the raw status and type travel as the platform sent them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from orderhub.normalized import DISPLAY_ZONE

REFUND_TYPES = ("refund_only", "return_and_refund", "exchange", "resend")
PHASES = ("", "before_shipment", "after_shipment")


@dataclass(frozen=True)
class NormalizedRefundLine:
    platform_line_id: str = ""
    platform_sku_id: str = ""
    outer_sku_code: str = ""
    quantity: int = 0
    amount: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class NormalizedRefund:
    platform: str
    platform_refund_id: str
    platform_order_id: str
    refund_type: str
    raw_status: str
    amount: Decimal
    platform_modified_at: datetime | None
    raw_type: str = ""
    currency: str = "CNY"
    reason: str = ""
    created_at: datetime | None = None
    phase: str = ""  # before_shipment | after_shipment, when the platform says
    buyer_id: str = ""
    return_tracking_number: str = ""
    disputed: bool = False
    lines: tuple[NormalizedRefundLine, ...] = ()
    platform_shop_id: str = ""
    # What the platform's decision call needs back (Taobao refund_version and phase, Youzan version,
    # Lazada line ids): plain JSON values.
    platform_facts: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.platform_refund_id:
            raise ValueError("platform_refund_id is empty")
        if self.refund_type not in REFUND_TYPES:
            raise ValueError(f"unknown refund type {self.refund_type!r}")
        if self.phase not in PHASES:
            raise ValueError(f"unknown refund phase {self.phase!r}")
        if not isinstance(self.amount, Decimal) or self.amount < 0:
            raise ValueError(f"refund amount must be a Decimal >= 0, got {self.amount!r}")
        if self.platform_modified_at is not None and self.platform_modified_at.tzinfo is None:
            raise ValueError("platform_modified_at must be aware")

    def to_json(self) -> dict:
        """Decimals as strings, times in ISO 8601 (Asia/Shanghai offset)."""
        return _jsonable(asdict(self))

    @classmethod
    def from_json(cls, data: dict) -> NormalizedRefund:
        values = dict(data)
        values["amount"] = Decimal(values["amount"])
        for name in ("platform_modified_at", "created_at"):
            values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
        values["lines"] = tuple(
            NormalizedRefundLine(**{**line, "amount": Decimal(line["amount"])})
            for line in values.get("lines", ())
        )
        return cls(**values)


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
