"""The refund policy as pure functions over plain dataclasses: no database, each decision with its reason.

`refund_policy` answers what to do with a requested refund; `escalation_due` whether a review waited too
long. Settings come in as `PolicySettings` (built from RefundPolicySettings, which staff edit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

APPROVE = "approve"
REVIEW = "review"
WAIT = "wait"
NONE = "none"


@dataclass(frozen=True)
class PolicySettings:
    auto_approve: bool = True
    auto_approve_below: Decimal = Decimal("50.00")
    silent_period: timedelta = timedelta(hours=24)
    escalation_after: timedelta = timedelta(hours=24)
    no_reason_phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefundFacts:
    status: str  # standard status ("" while unmapped)
    refund_type: str
    amount: Decimal
    reason: str
    disputed: bool
    order_known: bool
    order_shipped: bool  # handed to the carrier (shipped or completed)
    delivered_at: datetime | None  # None: not delivered (or not known to be)
    buyer_refunds_before: int  # this buyer's other refunds in the look-back period
    buyer_rejected_or_disputed: int  # of which rejected or disputed
    now: datetime


@dataclass(frozen=True)
class PolicyDecision:
    action: str  # approve | review | wait | none
    reason: str
    until: datetime | None = None  # for wait: when the silent period ends

    def to_json(self) -> dict:
        return {
            "action": self.action,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }


def is_no_reason(reason: str, phrases: tuple[str, ...]) -> bool:
    text = (reason or "").casefold()
    return any(phrase.casefold() in text for phrase in phrases if phrase)


MAX_EARLIER_REFUNDS = 2  # within the look-back period, and none of them rejected or disputed


def clean_history(facts: RefundFacts) -> bool:
    return facts.buyer_rejected_or_disputed == 0 and facts.buyer_refunds_before <= MAX_EARLIER_REFUNDS


def refund_policy(facts: RefundFacts, settings: PolicySettings) -> PolicyDecision:
    """What to do with a refund the buyer asked for.

    Auto-approve below the amount for a buyer with a clean history and no dispute: before shipping at
    once; after delivery only a no-reason refund, and only once the silent period has passed. Anything
    else goes to a reviewer.
    """
    if facts.status != "requested":
        return PolicyDecision(NONE, f"status is {facts.status or 'unmapped'}, nothing to decide")
    if not facts.order_known:
        return PolicyDecision(REVIEW, "the order is not known to OrderHub")
    if facts.disputed:
        return PolicyDecision(REVIEW, "the buyer opened a dispute")
    if not settings.auto_approve:
        return PolicyDecision(REVIEW, "auto-approval is switched off")
    if facts.refund_type in ("exchange", "resend"):
        return PolicyDecision(REVIEW, f"{facts.refund_type} needs a person")
    if facts.amount >= settings.auto_approve_below:
        return PolicyDecision(REVIEW, f"amount {facts.amount} is not below {settings.auto_approve_below}")
    if not clean_history(facts):
        return PolicyDecision(
            REVIEW,
            f"buyer history not clean ({facts.buyer_refunds_before} earlier refunds, "
            f"{facts.buyer_rejected_or_disputed} rejected or disputed)",
        )
    if not facts.order_shipped:
        return PolicyDecision(
            APPROVE, f"not shipped, {facts.amount} below {settings.auto_approve_below}, clean history"
        )
    if facts.delivered_at is None:
        return PolicyDecision(REVIEW, "shipped but not delivered yet: the parcel is on its way")
    if not is_no_reason(facts.reason, settings.no_reason_phrases):
        return PolicyDecision(REVIEW, f"after delivery with a reason ({facts.reason or 'none given'})")
    ends = facts.delivered_at + settings.silent_period
    if facts.now < ends:
        return PolicyDecision(WAIT, "no-reason refund inside the silent period after delivery", until=ends)
    return PolicyDecision(
        APPROVE,
        f"no-reason refund after the silent period, {facts.amount} below {settings.auto_approve_below}, "
        "clean history",
    )


def escalation_due(*, queued_at: datetime | None, now: datetime, after: timedelta) -> bool:
    """A reviewer's item untouched for `after` goes to the supervisor."""
    return queued_at is not None and now - queued_at >= after


def refund_intercepts(*, status: str, order_shipped: bool, order_cancelled: bool) -> bool:
    """A refund still asked for (or agreed) on an order not yet shipped stops the parcel."""
    return status in ("requested", "approved") and not order_shipped and not order_cancelled


def return_expected(*, status: str, refund_type: str, order_shipped: bool) -> bool:
    """After shipping, a return-and-refund (or exchange) agreed or asked for brings a parcel back."""
    return (
        order_shipped
        and refund_type in ("return_and_refund", "exchange")
        and status
        in (
            "requested",
            "approved",
            "refunded",
        )
    )
