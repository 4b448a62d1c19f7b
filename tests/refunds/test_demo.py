"""seed_demo leaves a few refunds in different states, and a second run changes nothing."""

import pytest
from django.core.management import call_command

from refunds.models import Refund

pytestmark = pytest.mark.django_db


def test_seed_demo_leaves_refunds_in_different_states(monkeypatch):
    monkeypatch.setattr("orderhub.dispatch.async_task", lambda *a, **k: None)
    monkeypatch.setattr("refunds.services.decide.async_task", lambda *a, **k: None)
    call_command("seed_demo", verbosity=0)
    first = {r.platform_refund_id: (r.status, r.unmapped) for r in Refund.objects.all()}
    call_command("seed_demo", verbosity=0)

    assert {r.platform_refund_id: (r.status, r.unmapped) for r in Refund.objects.all()} == first
    statuses = {status for status, _ in first.values()}
    assert {"requested", "approved", "refunded", "rejected"} <= statuses
    assert first["DEMO-SP-1"] == ("", True)  # the unmapped one
    assert Refund.objects.get(platform_refund_id="DEMO-TB-1").intercepted
