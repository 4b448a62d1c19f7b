"""The drain under a steady stream of pushes: one drain gathers at a time, claims at most every gather
window while payloads trickle in, claims again at once while catching up, and loses nothing to a lease
left by a dead worker or to a payload stored just as it stops."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_sync.locks import INBOUND_DRAIN, drain_lease_release, drain_lease_take
from channels_sync.models import DrainLease, InboundEvent, InboundStatus
from channels_sync.services import inbound
from channels_sync.services.inbound import InboundItem, inbound_drain, inbound_store

pytestmark = pytest.mark.django_db
_stored = iter(range(10**6))


def store(count: int) -> list[int]:
    """Payloads of no shop of ours: the drain claims each and files it as a dead letter."""
    return inbound_store(
        [InboundItem(platform="jd", source="pull", payload=f'{{"n": {next(_stored)}}}') for _ in range(count)]
    )


def pending() -> int:
    return InboundEvent.objects.filter(status=InboundStatus.PENDING).count()


@pytest.fixture
def claims(monkeypatch):
    """The size of every claim the drain makes, in order."""
    sizes = []
    claim = inbound.inbound_claim

    def recording(*, limit):
        ids = claim(limit=limit)
        sizes.append(len(ids))
        return ids

    monkeypatch.setattr(inbound, "inbound_claim", recording)
    return sizes


def test_between_partial_claims_the_drain_waits_out_the_gather_window_and_takes_what_arrived(
    monkeypatch, claims
):
    store(3)
    pauses = []

    def pause(seconds):
        pauses.append(seconds)
        if len(pauses) == 1:
            store(2)  # pushes that arrive while the drain waits

    monkeypatch.setattr(inbound.time, "sleep", pause)

    inbound_drain(batch_size=10, gather_seconds=0.25)

    assert claims == [3, 2, 0]
    assert len(pauses) == 2 and all(0 < seconds <= 0.25 for seconds in pauses)
    assert pending() == 0


def test_a_full_claim_is_followed_by_the_next_at_once(monkeypatch, claims):
    store(5)
    pauses = []
    monkeypatch.setattr(inbound.time, "sleep", pauses.append)

    inbound_drain(batch_size=2, gather_seconds=0.25)

    assert claims == [2, 2, 1, 0]
    assert len(pauses) == 1  # only after the partial claim
    assert pending() == 0


def test_a_drain_that_finds_another_gathering_returns_at_once_and_leaves_the_payloads_to_it(claims):
    store(2)
    assert drain_lease_take(holder="the other drain", seconds=60)

    report = inbound_drain(gather_seconds=0)

    assert claims == [] and not report.outcomes
    assert pending() == 2
    assert DrainLease.objects.get(name=INBOUND_DRAIN).holder == "the other drain"

    drain_lease_release(holder="the other drain")
    inbound_drain(gather_seconds=0)
    assert pending() == 0
    assert DrainLease.objects.get(name=INBOUND_DRAIN).holder == ""


def test_the_lease_of_a_drain_whose_worker_died_runs_out():
    store(1)
    assert drain_lease_take(holder="a dead worker", seconds=60)
    DrainLease.objects.filter(name=INBOUND_DRAIN).update(expires_at=timezone.now() - timedelta(seconds=1))

    inbound_drain(gather_seconds=0)

    assert pending() == 0


def test_a_payload_stored_as_the_drain_lets_go_is_still_drained(monkeypatch):
    store(1)
    release = inbound.drain_lease_release
    late = []

    def release_after_a_late_push(*, holder):
        if not late:
            late.extend(store(1))  # stored after the last (empty) claim, before the lease is free
        release(holder=holder)

    monkeypatch.setattr(inbound, "drain_lease_release", release_after_a_late_push)

    inbound_drain(gather_seconds=0)

    assert late and pending() == 0


def test_a_drain_that_finds_another_gathering_helps_with_full_batches_while_a_backlog_waits(claims):
    store(5)
    assert drain_lease_take(holder="the other drain", seconds=60)

    inbound_drain(batch_size=2, gather_seconds=0)

    assert claims == [2, 2]  # the odd one is left to the drain that gathers
    assert pending() == 1
