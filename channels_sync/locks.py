"""Row locks of the sync app (see orderhub/locks.py for the lock order)."""

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from channels_sync.models import DrainLease
from channels_sync.selectors import inbound_claimable

INBOUND_DRAIN = "inbound drain"


def lock_claimable_inbound(*, limit: int, now: datetime, stale_before: datetime) -> list[int]:
    """Ids of payloads a worker may take, locked; rows another worker holds are skipped, not waited for."""
    claimable = inbound_claimable(now=now, stale_before=stale_before)
    if connection.features.has_select_for_update_skip_locked:
        claimable = claimable.select_for_update(skip_locked=True)
    return list(claimable.order_by("pk").values_list("pk", flat=True)[:limit])


def drain_lease_take(*, holder: str, seconds: float) -> bool:
    """True when the gathering drain's lease is (now, or still) this holder's: free, expired or its own.
    One conditional UPDATE, atomic on both databases."""
    now = timezone.now()
    free = Q(holder="") | Q(holder=holder) | Q(expires_at__lt=now)
    for _ in range(2):
        if DrainLease.objects.filter(free, name=INBOUND_DRAIN).update(
            holder=holder, expires_at=now + timedelta(seconds=seconds)
        ):
            return True
        if DrainLease.objects.filter(name=INBOUND_DRAIN).exists():
            return False
        DrainLease.objects.bulk_create([DrainLease(name=INBOUND_DRAIN)], ignore_conflicts=True)
    return False


def drain_lease_release(*, holder: str) -> None:
    DrainLease.objects.filter(name=INBOUND_DRAIN, holder=holder).update(holder="", expires_at=None)
