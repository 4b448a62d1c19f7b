"""Read queries for the refunds console."""

from datetime import timedelta

from django.db.models import Avg, Count, Max
from django.utils import timezone

from refunds.models import Refund

SYNC_DELAY_WINDOW = timedelta(days=7)


def sync_delay_by_platform(*, since=None) -> list[dict]:
    """Per platform: average and worst delay from the platform's change to our stored payload (seconds)."""
    since = since or timezone.now() - SYNC_DELAY_WINDOW
    rows = (
        Refund.objects.filter(stored_at__gte=since, sync_delay_seconds__isnull=False)
        .values("shop__platform")
        .annotate(average=Avg("sync_delay_seconds"), worst=Max("sync_delay_seconds"), refunds=Count("id"))
        .order_by("shop__platform")
    )
    return [
        {"platform": row["shop__platform"], "average_seconds": round(row["average"], 1),
         "worst_seconds": round(row["worst"], 1), "refunds": row["refunds"]}
        for row in rows
    ]  # fmt: skip
