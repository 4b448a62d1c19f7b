"""After-commit dispatcher: how a lower layer tells higher layers what happened.

Subscribers are task paths listed in settings.DOMAIN_EVENT_SUBSCRIBERS (project wiring), so the
announcing layer never imports the listening one. Tasks are queued only once the transaction commits,
so a rolled-back change announces nothing.
"""

from functools import partial

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task


def subscribers(event_name: str) -> list[str]:
    return list(settings.DOMAIN_EVENT_SUBSCRIBERS.get(event_name, ()))


def announce(event_name: str, **ids: int | str) -> None:
    for task_path in subscribers(event_name):
        transaction.on_commit(partial(async_task, task_path, **ids, task_name=f"{event_name}:{task_path}"))
