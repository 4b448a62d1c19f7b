"""Queue and pick-list order, and where a presale order stands."""

from dataclasses import dataclass
from datetime import datetime

from .facts import Decision, OrderFacts

VIP_TAGS = frozenset({"vip"})


def priority_key(order: OrderFacts) -> tuple:
    """Sort key: VIP buyers and expedited orders first, then earliest paid (unpaid last), then id."""
    vip = any(tag.lower() in VIP_TAGS for tag in order.buyer_tags)
    first = vip or order.is_priority
    paid = order.paid_at.timestamp() if order.paid_at else 0.0
    return (not first, order.paid_at is None, paid, order.order_id)


@dataclass(frozen=True)
class PresaleFacts:
    order_id: int
    deposit_paid_at: datetime | None
    balance_paid_at: datetime | None


# What to do with a presale order.
WAIT_DEPOSIT, RESERVE, SHIP_POOL, RELEASE_AND_CLOSE = (
    "wait_deposit",
    "reserve",
    "ship_pool",
    "release_and_close",
)


@dataclass(frozen=True)
class PresaleDecision:
    state: str
    decision: Decision


def presale_state(presale: PresaleFacts, now: datetime, deadline: datetime | None) -> PresaleDecision:
    """Balance paid → ship pool; past the balance deadline unpaid → release and close; deposit paid →
    reserve stock; else wait. Paying exactly at the deadline is still in time."""
    if presale.balance_paid_at is not None:
        state, reason = SHIP_POOL, "balance paid: into the shipping pool"
    elif deadline is not None and now > deadline:
        state, reason = RELEASE_AND_CLOSE, "balance unpaid after its deadline: release the stock and close"
    elif presale.deposit_paid_at is not None:
        state, reason = RESERVE, "deposit paid: stock reserved until the balance is paid"
    else:
        state, reason = WAIT_DEPOSIT, "no deposit yet"
    inputs = {
        "deposit_paid_at": presale.deposit_paid_at,
        "balance_paid_at": presale.balance_paid_at,
        "deadline": deadline,
        "now": now,
    }
    return PresaleDecision(state, Decision("presale", "presale", inputs, {"state": state}, reason))
