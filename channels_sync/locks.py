"""Row locks of the sync app (see orderhub/locks.py for the lock order)."""

from datetime import datetime

from django.db import connection
from django.db.models import Q

from channels_sync.models import InboundEvent, InboundStatus


def lock_claimable_inbound(*, limit: int, now: datetime, stale_before: datetime) -> list[int]:
    """Ids of payloads a worker may take, locked; rows another worker holds are skipped, not waited for."""
    claimable = InboundEvent.objects.filter(
        Q(status=InboundStatus.PENDING)
        | Q(status=InboundStatus.FAILED, available_at__lte=now)
        | Q(status=InboundStatus.PROCESSING, claimed_at__lt=stale_before)  # its worker died mid-batch
    )
    if connection.features.has_select_for_update_skip_locked:
        claimable = claimable.select_for_update(skip_locked=True)
    return list(claimable.order_by("pk").values_list("pk", flat=True)[:limit])
