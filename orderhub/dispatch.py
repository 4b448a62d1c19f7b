"""After-commit dispatcher: how a lower layer tells higher layers what happened.

Subscribers are task paths listed in settings.DOMAIN_EVENT_SUBSCRIBERS (project wiring), so the
announcing layer never imports the listening one. Tasks are queued only once the transaction commits,
so a rolled-back change announces nothing.

Work that announces many events at once (a bulk ingest of 500 paid orders, inside `batched()`) queues
one task per subscriber carrying all of them, not one task per order: django-q2 drains a few hundred
tasks a second (DESIGN.md section 6), and a subscriber that can decide a batch at once
(`@takes_batches`) does so.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task

log = logging.getLogger(__name__)


def subscribers(event_name: str) -> list[str]:
    return list(settings.DOMAIN_EVENT_SUBSCRIBERS.get(event_name, ()))


@dataclass(frozen=True)
class _Call:
    event_name: str
    task_path: str
    ids: dict


_gathering: ContextVar[list[_Call] | None] = ContextVar("gathered_announcements", default=None)


@contextmanager
def batched():
    """Within this block announcements are gathered and queued together after the commit, one task
    per subscriber; work that raises out of the block announces nothing."""
    calls: list[_Call] = []
    token = _gathering.set(calls)
    try:
        yield
    finally:
        _gathering.reset(token)
    if calls:
        transaction.on_commit(partial(_queue, calls))


def announce(event_name: str, **ids: int | str) -> None:
    calls = [_Call(event_name, task_path, ids) for task_path in subscribers(event_name)]
    gathering = _gathering.get()
    if gathering is not None:
        gathering.extend(calls)
    elif calls:
        transaction.on_commit(partial(_queue, calls))


def _queue(calls: list[_Call]) -> None:
    grouped: dict[str, list[_Call]] = defaultdict(list)
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
