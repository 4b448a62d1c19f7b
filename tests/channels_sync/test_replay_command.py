"""python manage.py replay_inbound: choose payloads, replay them in batches, report, exit 1 on failures."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from channels_sync.management.commands import replay_inbound
from channels_sync.models import InboundEvent
from channels_sync.services.inbound import payload_digest
from orderhub.models import Order
from tests.factories import make_shop

pytestmark = pytest.mark.django_db


def order_payload(order_id: str) -> dict:
    return {
        "platform_order_id": order_id,
        "status": "paid",
        "goods_amount": "30.00",
        "paid_amount": "30.00",
        "updated_at": "2026-11-11T10:00:00+08:00",
        "lines": [
            {
                "outer_sku_code": "SKU-A",
                "title": "tea",
                "quantity": 1,
                "unit_price": "30.00",
                "paid_amount": "30.00",
            }
        ],
    }


def stored(shop, order_id: str, *, status: str = "dead", received_hours_ago: float = 0) -> InboundEvent:
    """A payload of the generic channel that processes cleanly once replayed (its cause is gone)."""
    text = json.dumps(order_payload(order_id))
    platform = shop.platform if shop else "manual"
    event = InboundEvent.objects.create(
        platform=platform,
        shop=shop,
        source="ingest",
        external_id=order_id,
        payload=text,
        payload_hash=payload_digest(platform, text),
        status=status,
        last_error="database was restarting",
    )
    if received_hours_ago:
        InboundEvent.objects.filter(pk=event.pk).update(
            received_at=timezone.now() - timedelta(hours=received_hours_ago)
        )
    return event


def replay(*args) -> str:
    out = io.StringIO()
    call_command("replay_inbound", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def order_ids() -> set[str]:
    return set(Order.objects.values_list("platform_order_id", flat=True))


@pytest.fixture
def site():
    return make_shop("manual", code="site")


def test_by_default_every_dead_letter_is_replayed_and_failed_ones_are_left_to_the_worker(site):
    stored(site, "D-1")
    stored(site, "D-2")
    stored(site, "F-1", status="failed")

    summary = replay()

    assert order_ids() == {"D-1", "D-2"}
    assert "replayed 2 payloads: 2 orders created, 0 updated, 0 unchanged" in summary
    assert InboundEvent.objects.get(external_id="F-1").status == "failed"


def test_replaying_again_creates_no_duplicate(site):
    event = stored(site, "D-1")
    replay()

    summary = replay("--id", str(event.pk))

    assert Order.objects.count() == 1
    assert "0 orders created, 0 updated, 1 unchanged" in summary


def test_filters_choose_the_payloads(site):
    offline = make_shop("manual", code="offline")
    by_id = stored(site, "ID-1", status="failed")
    stored(site, "OLD-1", received_hours_ago=48)
    stored(site, "NEW-1")
    stored(offline, "OTHER-1")

    replay("--shop", "site", "--since", (timezone.now() - timedelta(hours=1)).isoformat())
    assert order_ids() == {"NEW-1"}
    replay("--status", "failed", "--platform", "manual", "--id", str(by_id.pk))
    assert order_ids() == {"NEW-1", "ID-1"}


def test_payloads_in_a_workers_hands_are_not_replayed(site):
    pending = stored(site, "P-1", status="pending")

    summary = replay("--id", str(pending.pk))

    assert "replayed 0 payloads" in summary and not Order.objects.exists()


def test_dry_run_changes_nothing(site):
    stored(site, "D-1")
    stored(site, "D-2")

    summary = replay("--dry-run")

    assert "2 payloads would be replayed" in summary
    assert not Order.objects.exists()
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"dead"}


def test_payloads_that_still_fail_exit_with_code_1_after_the_summary(site):
    stored(site, "D-1")
    stored(None, "ORPHAN-1")  # no shop of ours matches it, now as before
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("replay_inbound", stdout=out, stderr=io.StringIO())

    assert failed.value.returncode == 1 and "1 payloads still fail" in str(failed.value)
    assert "1 orders created" in out.getvalue() and "still failing: 1 dead" in out.getvalue()
    assert order_ids() == {"D-1"}


def test_replays_go_in_batches(site, monkeypatch):
    for n in range(5):
        stored(site, f"B-{n}")
    batches = []
    real = replay_inbound.inbound_replay
    monkeypatch.setattr(replay_inbound, "BATCH", 2)
    monkeypatch.setattr(replay_inbound, "inbound_replay", lambda ids: batches.append(ids) or real(ids))

    replay()

    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert len(order_ids()) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "done"], "--status must be one of dead, failed"),
        (["--shop", "nowhere"], "no shop 'nowhere'; known shops: site"),
        (["--platform", "ebay"], "unknown platform 'ebay'"),
        (["--since", "yesterday"], "--since: not a date or ISO 8601 time"),
        (["--id", "999999"], "no inbound payload with id 999999"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(site, args, message):
    stored(site, "D-1")

    with pytest.raises(CommandError, match=message) as refused:
        replay(*args)

    assert refused.value.returncode == 2
    assert not Order.objects.exists()
