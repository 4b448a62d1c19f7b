"""After-commit dispatcher: how a lower layer tells higher layers what happened.

Subscribers are task paths listed in settings.DOMAIN_EVENT_SUBSCRIBERS (project wiring), so the
announcing layer never imports the listening one. Tasks are queued only once the transaction commits,
so a rolled-back change announces nothing.

A transaction that announces many events (a bulk ingest of 500 paid orders) queues one task per
subscriber carrying all of them, not one task per order: django-q2 drains a few hundred tasks a second
(DESIGN.md section 6), and a subscriber that can decide a batch at once (`@takes_batches`) does so.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from threading import local

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task

log = logging.getLogger(__name__)

_committed = local()


def subscribers(event_name: str) -> list[str]:
    return list(settings.DOMAIN_EVENT_SUBSCRIBERS.get(event_name, ()))


class _Announcement:
    """One subscriber call, registered with on_commit. When the last one of a transaction runs, the
    calls gathered are queued, grouped per subscriber."""

    def __init__(self, event_name: str, task_path: str, ids: dict):
        self.event_name, self.task_path, self.ids = event_name, task_path, ids
        self.ran = False

    def __call__(self):
        self.ran = True
        _pending().append(self)
        # Django pops each callback before running it; a test capturing callbacks keeps them listed.
        waiting = [callback for _, callback, _ in connections[DEFAULT_DB_ALIAS].run_on_commit]
        later = waiting[waiting.index(self) + 1 :] if self in waiting else waiting
        if not any(isinstance(callback, _Announcement) and not callback.ran for callback in later):
            _queue(_take_pending())


def _pending() -> list[_Announcement]:
    if not hasattr(_committed, "calls"):
        _committed.calls = []
    return _committed.calls


def _take_pending() -> list[_Announcement]:
    calls, _committed.calls = _pending(), []
    return calls


def announce(event_name: str, **ids: int | str) -> None:
    for task_path in subscribers(event_name):
        transaction.on_commit(_Announcement(event_name, task_path, ids))


def _queue(calls: list[_Announcement]) -> None:
    grouped: dict[str, list[_Announcement]] = defaultdict(list)
    for call in calls:
        grouped[call.task_path].append(call)
    for task_path, group in grouped.items():
        if len(group) == 1:
            call = group[0]
            async_task(task_path, **call.ids, task_name=f"{call.event_name}:{task_path}")
        else:
            events = ",".join(sorted({call.event_name for call in group}))
            async_task(
                "orderhub.dispatch.deliver",
                task_path,
                [call.ids for call in group],
                task_name=f"{events}:{task_path}×{len(group)}",
            )


def takes_batches(batch: Callable[[list[dict]], object]):
    """Marks a subscriber task that also has a batch form: `batch(list of its keyword ids)`."""

    def mark(task):
        task.batch = batch
        return task

    return mark


def deliver(task_path: str, calls: list[dict]) -> int:
    """Runs one subscriber over many announcements. If the batch fails, each call is queued on its
    own, so one bad order never holds back the others and each failure is retried and visible alone."""
    task = import_string(task_path)
    batch = getattr(task, "batch", None)
    if batch is not None:
        try:
            batch(calls)
            return len(calls)
        except Exception:
            log.exception("batch of %d for %s failed; queued one by one", len(calls), task_path)
            for ids in calls:
                async_task(task_path, **ids, task_name=f"retry:{task_path}")
            return 0
    done = 0
    for ids in calls:
        try:
            task(**ids)
            done += 1
        except Exception:
            log.exception("%s failed for %s; queued on its own", task_path, ids)
            async_task(task_path, **ids, task_name=f"retry:{task_path}")
    return done
