"""Processed payloads are kept for a while (audit, replay, disputes), then removed."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from channels_sync.models import InboundEvent, InboundStatus


def inbound_purge(*, older_than_days: int | None = None, batch_size: int = 5000) -> int:
    """Deletes processed or ignored payloads older than the retention period; dead letters stay."""
    days = older_than_days if older_than_days is not None else getattr(settings, "INBOUND_RETENTION_DAYS", 90)
    cutoff = timezone.now() - timedelta(days=days)
    removed = 0
    while True:
        ids = list(
            InboundEvent.objects.filter(
                status__in=[InboundStatus.DONE, InboundStatus.IGNORED], received_at__lt=cutoff
            ).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return removed
        removed += InboundEvent.objects.filter(pk__in=ids).delete()[0]
