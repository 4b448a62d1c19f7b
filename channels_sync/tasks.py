"""django-q2 entry points of the sync app: thin, ids in, services do the work."""

import logging
import time

from django.db import transaction
from django_q.tasks import async_task

from channels_sync.models import SyncKind
from channels_sync.services.count_check import shops_count_check
from channels_sync.services.inbound import inbound_drain
from channels_sync.services.pull import shop_pull
from channels_sync.services.retention import inbound_purge
from orderhub.models import Shop

logger = logging.getLogger(__name__)
DRAIN_DEBOUNCE_SECONDS = 1


def drain_inbound() -> dict:
    report = inbound_drain()
    return {"outcomes": dict(report.outcomes), "failed": report.failed, "dead": report.dead}


_drain_queued_at = float("-inf")


def schedule_drain() -> None:
    """Queues one drain after commit, at most once a second per process: a burst of pushes shares it.

    Kept in the process rather than in the cache, which costs a lock and key checks on every push; two
    threads that race here queue two drains, and the drain lease makes the second one return at once."""
    global _drain_queued_at
    now = time.monotonic()
    if now - _drain_queued_at < DRAIN_DEBOUNCE_SECONDS:
        return
    _drain_queued_at = now
    transaction.on_commit(lambda: async_task("channels_sync.tasks.drain_inbound", task_name="drain inbound"))


def pull_shop(shop_id: int, kind: str = SyncKind.PULL) -> dict:
    shop = Shop.objects.get(pk=shop_id)
    run = shop_pull(shop=shop, kind=kind)
    return {"run": run.pk, "ok": run.ok, "new": run.orders_new, "updated": run.orders_updated}


def _queue_active_shops(kind: str) -> int:
    shop_ids = list(
        Shop.objects.filter(active=True, pull_enabled=True)
        .exclude(platform="manual")
        .values_list("pk", flat=True)
    )
    for shop_id in shop_ids:
        async_task("channels_sync.tasks.pull_shop", shop_id, kind, task_name=f"{kind} shop {shop_id}")
    return len(shop_ids)


def pull_all_shops() -> int:
    return _queue_active_shops(SyncKind.PULL)


def backfill_all_shops() -> int:
    return _queue_active_shops(SyncKind.BACKFILL)


def count_check_all_shops() -> int:
    return len(shops_count_check())


def purge_inbound() -> int:
    return inbound_purge()
