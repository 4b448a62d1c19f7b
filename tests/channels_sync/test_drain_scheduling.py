"""A burst of pushes queues one drain, not one per push."""

import pytest

from channels_sync import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "async_task", lambda name, **kwargs: calls.append(name))
    monkeypatch.setattr(tasks, "_drain_queued_at", float("-inf"))
    clock = [1000.0]
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    return calls, clock


def test_pushes_within_a_second_share_one_drain_and_a_later_push_queues_the_next(
    queued, django_capture_on_commit_callbacks
):
    calls, clock = queued

    with django_capture_on_commit_callbacks(execute=True):
        tasks.schedule_drain()
        clock[0] += 0.4
        tasks.schedule_drain()
        clock[0] += 0.7
        tasks.schedule_drain()

    assert calls == ["channels_sync.tasks.drain_inbound"] * 2


def test_the_drain_is_queued_only_once_the_payload_is_committed(queued, django_capture_on_commit_callbacks):
    calls, _ = queued

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.schedule_drain()

    assert calls == [] and len(callbacks) == 1
    callbacks[0]()
    assert calls == ["channels_sync.tasks.drain_inbound"]
