"""Fulfillment cycle figures for dashboards: per warehouse or channel and per day (Beijing time, by
payment day), how many orders were collected and the median and p90 minutes from paid to collected.

    cycle_stats(start, end, group_by="warehouse")  # or "channel" (the shop's platform)
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from fulfillment.models_warehouse import Parcel

BEIJING = ZoneInfo("Asia/Shanghai")
GROUPS = {"warehouse": "warehouse__code", "channel": "order__shop__platform"}


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(ordered: list[float]) -> float:
    n = len(ordered)
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def cycle_stats(start: datetime, end: datetime, group_by: str = "warehouse") -> list[dict]:
    """Orders paid in [start, end) and collected since: one row per (group, day), sorted, each
    {"group", "day" (date), "orders", "median_minutes", "p90_minutes"}."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {sorted(GROUPS)}, not {group_by!r}")
    rows = Parcel.objects.filter(paid_at__gte=start, paid_at__lt=end, collected_at__isnull=False).values_list(
        GROUPS[group_by], "paid_at", "collected_at"
    )
    minutes: dict[tuple[str, object], list[float]] = defaultdict(list)
    for group, paid_at, collected_at in rows:
        day = paid_at.astimezone(BEIJING).date()
        minutes[(group or "—", day)].append((collected_at - paid_at).total_seconds() / 60)
    result = []
    for (group, day), values in sorted(minutes.items(), key=lambda item: (item[0][0], item[0][1])):
        values.sort()
        result.append(
            {
                "group": group,
                "day": day,
                "orders": len(values),
                "median_minutes": round(median(values), 1),
                "p90_minutes": round(percentile(values, 90), 1),
            }
        )
    return result
