"""The refund policy as pure functions: no database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from refunds import rules

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SETTINGS = rules.PolicySettings(no_reason_phrases=("七天无理由", "不想要了"))


def facts(**overrides) -> rules.RefundFacts:
    values = dict(
        status="requested",
        refund_type="refund_only",
        amount=Decimal("30.00"),
        reason="不想要了",
        disputed=False,
        order_known=True,
        order_shipped=False,
        delivered_at=None,
        buyer_refunds_before=0,
        buyer_rejected_or_disputed=0,
        now=NOW,
    )
    return rules.RefundFacts(**(values | overrides))


def test_small_refund_before_shipping_for_a_clean_buyer_is_approved():
    assert rules.refund_policy(facts(), SETTINGS).action == rules.APPROVE


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"amount": Decimal("50.00")}, "not below"),
        ({"disputed": True}, "dispute"),
        ({"buyer_rejected_or_disputed": 1}, "history"),
        ({"buyer_refunds_before": 3}, "history"),
        ({"order_known": False}, "not known"),
        ({"refund_type": "exchange"}, "exchange"),
        ({"order_shipped": True}, "not delivered"),
        ({"order_shipped": True, "delivered_at": NOW - timedelta(days=3), "reason": "破损"}, "with a reason"),
    ],
)
def test_anything_else_goes_to_a_reviewer(overrides, why):
    decision = rules.refund_policy(facts(**overrides), SETTINGS)
    assert decision.action == rules.REVIEW and why in decision.reason


def test_a_buyer_with_one_earlier_clean_refund_still_has_a_clean_history():
    assert rules.refund_policy(facts(buyer_refunds_before=1), SETTINGS).action == rules.APPROVE


def test_no_reason_refund_after_delivery_waits_out_the_silent_period_then_is_approved():
    delivered = NOW - timedelta(hours=10)
    waiting = rules.refund_policy(facts(order_shipped=True, delivered_at=delivered), SETTINGS)
    later = rules.refund_policy(
        facts(order_shipped=True, delivered_at=delivered, now=delivered + timedelta(hours=24)), SETTINGS
    )
    assert (waiting.action, waiting.until) == (rules.WAIT, delivered + timedelta(hours=24))
    assert later.action == rules.APPROVE


def test_switched_off_and_decided_refunds():
    off = rules.PolicySettings(auto_approve=False)
    assert rules.refund_policy(facts(), off).action == rules.REVIEW
    assert rules.refund_policy(facts(status="refunded"), SETTINGS).action == rules.NONE


def test_escalation_after_24_hours_exactly():
    queued = NOW - timedelta(hours=24)
    assert rules.escalation_due(queued_at=queued, now=NOW, after=timedelta(hours=24))
    assert not rules.escalation_due(
        queued_at=queued + timedelta(seconds=1), now=NOW, after=timedelta(hours=24)
    )
    assert not rules.escalation_due(queued_at=None, now=NOW, after=timedelta(hours=24))


def test_intercept_and_return_expectations():
    assert rules.refund_intercepts(status="requested", order_shipped=False, order_cancelled=False)
    assert not rules.refund_intercepts(status="requested", order_shipped=True, order_cancelled=False)
    assert not rules.refund_intercepts(status="rejected", order_shipped=False, order_cancelled=False)
    assert rules.return_expected(status="approved", refund_type="return_and_refund", order_shipped=True)
    assert not rules.return_expected(status="approved", refund_type="refund_only", order_shipped=True)
