"""What an address change after payment means for the parcel (pure; no database).

Dual track: the waybill keeps the address it was issued for beside the order's current one.
- Within the window after payment (120 minutes unless set) and before packing, the change is applied
  silently: only street / door detail (or name, phone) changed → the waybill is updated in place;
  province, city or district changed → the old waybill is voided, a new one issued, and a re-pickup
  task created. With no waybill yet there is nothing to redo: the next one takes the new address.
- Outside the window, once packed, or once shipped, customer service decides: a hold.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

NONE = "none"
NO_WAYBILL = "no_waybill"
UPDATE_IN_PLACE = "update_in_place"
REISSUE = "reissue"
HOLD = "hold"


@dataclass(frozen=True)
class AddressParts:
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str

    def region(self) -> tuple[str, str, str]:
        return (self.province, self.city, self.district)


@dataclass(frozen=True)
class AddressChangeFacts:
    paid_at: datetime | None
    now: datetime
    window_minutes: int
    packed: bool
    shipped: bool
    waybill_address: AddressParts | None  # the address the active waybill was issued for
    current: AddressParts


@dataclass(frozen=True)
class AddressChangeDecision:
    path: str
    reason: str
    changed: tuple[str, ...] = ()


def changed_parts(before: AddressParts, after: AddressParts) -> tuple[str, ...]:
    return tuple(
        name for name in AddressParts.__dataclass_fields__ if getattr(before, name) != getattr(after, name)
    )


def decide_address_change(facts: AddressChangeFacts) -> AddressChangeDecision:
    if facts.waybill_address is not None:
        changed = changed_parts(facts.waybill_address, facts.current)
        if not changed:
            return AddressChangeDecision(NONE, "the waybill already carries this address")
    else:
        changed = ("address",)
    if facts.shipped:
        return AddressChangeDecision(HOLD, "the parcel has already shipped", changed)
    if facts.packed:
        return AddressChangeDecision(HOLD, "the parcel is already packed", changed)
    if facts.paid_at is None:
        return AddressChangeDecision(
            HOLD, "payment time unknown, the change window cannot be checked", changed
        )
    elapsed = facts.now - facts.paid_at
    if elapsed > timedelta(minutes=facts.window_minutes):
        minutes = int(elapsed.total_seconds() // 60)
        return AddressChangeDecision(
            HOLD,
            f"changed {minutes} minutes after payment, beyond the {facts.window_minutes}-minute window",
            changed,
        )
    if facts.waybill_address is None:
        return AddressChangeDecision(
            NO_WAYBILL, "no waybill yet: the next one takes the new address", changed
        )
    if facts.waybill_address.region() != facts.current.region():
        return AddressChangeDecision(
            REISSUE, "province, city or district changed: new waybill and re-pickup", changed
        )
    return AddressChangeDecision(
        UPDATE_IN_PLACE, "only street, door, name or phone changed: waybill updated", changed
    )
