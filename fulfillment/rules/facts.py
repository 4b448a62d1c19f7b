"""The plain data every rule reads, and the uniform record every rule returns.

No ORM and no Django settings here: the wiring service builds these from rows, and the same functions
run in tests and in a dry-run over past orders.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


@dataclass(frozen=True)
class LineFacts:
    """One of our SKUs on an order line (a bundle line gives one per component, quantities multiplied)."""

    line_id: int
    sku_id: int
    sku_code: str
    quantity: int
    weight_g: int = 0  # per unit
    is_gift: bool = False


@dataclass(frozen=True)
class OrderFacts:
    order_id: int
    shop_id: int
    platform: str
    buyer_id: str
    phone_hash: str
    province: str
    city: str
    district: str
    detail: str
    paid_amount: Decimal
    paid_at: datetime | None
    is_cod: bool = False
    is_priority: bool = False
    buyer_tags: frozenset[str] = frozenset()
    designated_carrier: str = ""
    lines: tuple[LineFacts, ...] = ()
    has_waybill: bool = False
    # Where its stock is allocated, once it is: a merged parcel leaves one warehouse.
    warehouse_id: int | None = None
    # Order lines not (yet) mapped to our SKUs; they have no LineFacts.
    unmapped_line_ids: tuple[int, ...] = ()

    @property
    def weight_g(self) -> int:
        return sum(line.quantity * line.weight_g for line in self.lines)

    def demand(self) -> dict[int, int]:
        """Units needed per SKU id."""
        needed: dict[int, int] = {}
        for line in self.lines:
            needed[line.sku_id] = needed.get(line.sku_id, 0) + line.quantity
        return needed


@dataclass(frozen=True)
class StockLevel:
    """Same shape as the stock selectors' StockLevel; kept here so rules import nothing of the ORM side."""

    on_hand: int
    allocated: int
    safety_threshold: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


@dataclass(frozen=True)
class AddressCheck:
    """What the address library made of an order's address (see fulfillment/address.py)."""

    ok: bool
    ambiguous: bool
    province: str
    city: str
    district: str
    adcode: str
    reason: str


def jsonable(value):
    """Decimals as strings, times as ISO text, sets sorted: decisions are stored as JSON."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


@dataclass(frozen=True)
class Decision:
    """Why something was decided: the rule, the inputs it saw, the outcome. Stored as an OrderEvent.

    Inputs never carry a receiver's phone or street address: the timeline is shown to staff who may
    not see personal data.
    """

    kind: str  # hold | merge | gift | warehouse | carrier | presale
    rule: str
    inputs: dict = field(default_factory=dict)
    outcome: dict = field(default_factory=dict)
    reason: str = ""

    def __post_init__(self):
        # Frozen, so the JSON-safe copies are set through object.__setattr__.
        object.__setattr__(self, "inputs", jsonable(self.inputs))
        object.__setattr__(self, "outcome", jsonable(self.outcome))

    def as_event_parameters(self) -> dict:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "inputs": self.inputs,
            "outcome": self.outcome,
            "reason": self.reason,
        }
