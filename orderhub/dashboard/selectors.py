"""Reads for the operations dashboard (project wiring: it may read every app).

Figures of apps that are optional or still arriving (warehouse parcels, refunds) are read through
`apps.get_model`, so the dashboard shows "not available" rather than failing when one is missing.
Percentiles are computed in Python over the period's rows (nearest rank), the same on SQLite and
PostgreSQL; no database-specific SQL.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from orderhub.models import Hold, HoldStatus, Order, OrderEvent
from orderhub.ops import selectors as ops_selectors

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ROWS = 100_000  # rows read per figure; a longer period is sampled at its most recent rows
PARTS = ("timeliness", "completeness", "consistency", "accuracy", "controllability")
CONFLICT_HOLDS = ("status_conflict", "amount_discrepancy")
BAD_SCANS = ("wrong_sku", "extra", "unknown")


def _model(label: str, name: str):
    try:
        return apps.get_model(label, name)
    except LookupError:
        return None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    return start, end


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


# ---------------------------------------------------------------- orders in, per channel per hour
def orders_per_channel_hour(*, now: datetime, hours: int = 24) -> dict:
    rows = ops_selectors.orders_per_hour(hours=hours, now=now)
    start = now.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    labels = [(start + timedelta(hours=n)).strftime("%H:00") for n in range(hours)]
    series: dict[str, list[int]] = defaultdict(lambda: [0] * hours)
    for row in rows:
        hour = row["hour"].astimezone(SHANGHAI)
        index = int((hour - start).total_seconds() // 3600)
        if 0 <= index < hours:
            series[row["shop__platform"]][index] += row["count"]
    return {"labels": labels, "series": dict(sorted(series.items()))}


# ---------------------------------------------------------------- fulfillment cycle (paid → collected)
@dataclass
class CycleRow:
    group: str
    orders: int
    median_hours: float | None
    p90_hours: float | None


def _cycle_hours(start: datetime, end: datetime) -> dict:
    """Per parcel collected in [start, end): hours from paid to collected, with channel and warehouse."""
    Parcel = _model("fulfillment", "Parcel")
    if Parcel is None:
        return {}
    rows = (
        Parcel.objects.filter(collected_at__gte=start, collected_at__lt=end, paid_at__isnull=False)
        .values_list("paid_at", "collected_at", "order__shop__platform", "warehouse__code")
        .order_by("-collected_at")[:MAX_ROWS]
    )
    return {
        "rows": [
            ((collected - paid).total_seconds() / 3600, platform, warehouse or "—", local_date(collected))
            for paid, collected, platform, warehouse in rows
        ]
    }


def fulfillment_cycle(*, start: datetime, end: datetime) -> dict | None:
    data = _cycle_hours(start, end)
    if not data:
        return None
    rows = data["rows"]

    def summary(key_index: int) -> list[CycleRow]:
        groups: dict[str, list[float]] = defaultdict(list)
        for row in rows:
            groups[row[key_index]].append(row[0])
        return [
            CycleRow(group, len(values), _round(statistics.median(values)), _round(percentile(values, 90)))
            for group, values in sorted(groups.items())
        ]

    by_day: dict[date, list[float]] = defaultdict(list)
    for hours, _platform, _warehouse, day in rows:
        by_day[day].append(hours)
    days = sorted(by_day)
    return {
        "by_channel": summary(1),
        "by_warehouse": summary(2),
        "over_time": {
            "labels": [d.isoformat() for d in days],
            "median": [_round(statistics.median(by_day[d])) for d in days],
            "p90": [_round(percentile(by_day[d], 90)) for d in days],
        },
        "all_median_hours": _round(statistics.median([r[0] for r in rows])) if rows else None,
        "orders": len(rows),
    }


def cycle_median_hours(*, first: date, last: date) -> float | None:
    start, end = day_bounds(first, last)
    data = _cycle_hours(start, end)
    hours = [row[0] for row in data.get("rows", [])]
    return statistics.median(hours) if hours else None


def compression_ratio(*, baseline: tuple[date, date], current: tuple[date, date]) -> dict:
    """(baseline − current) / baseline of the median paid → collected cycle: 0.25 means 25 % shorter."""
    base = cycle_median_hours(first=baseline[0], last=baseline[1])
    now = cycle_median_hours(first=current[0], last=current[1])
    ratio = (base - now) / base if base and now is not None else None
    return {
        "baseline_hours": _round(base),
        "current_hours": _round(now),
        "ratio": round(ratio, 3) if ratio is not None else None,
    }


# ---------------------------------------------------------------- refunds in flight
def refunds_in_flight(*, now: datetime) -> dict | None:
    Refund = _model("refunds", "Refund")
    if Refund is None:
        return None
    open_refunds = Refund.objects.filter(status__in=["requested", "approved"])
    ages = [
        (now - created).total_seconds() / 3600
        for created in open_refunds.exclude(platform_created_at__isnull=True)
        .values_list("platform_created_at", flat=True)
        .order_by("platform_created_at")[:MAX_ROWS]
    ]
    return {
        "count": open_refunds.count(),
        "by_status": dict(open_refunds.values("status").annotate(n=Count("pk")).values_list("status", "n")),
        "median_age_hours": _round(statistics.median(ages)) if ages else None,
        "oldest_age_hours": _round(max(ages)) if ages else None,
    }


# ---------------------------------------------------------------- Order Health Index
@dataclass
class HealthRow:
    day: date
    group: str  # shop code or warehouse code
    orders: int
    parts: dict[str, float] = field(default_factory=dict)
    index: float = 0.0


def health_weights() -> dict[str, float]:
    weights = {part: float(settings.HEALTH_INDEX_WEIGHTS.get(part, 0)) for part in PARTS}
    if sum(weights.values()) <= 0:
        return dict.fromkeys(PARTS, 1.0)
    return weights


def _ids_with(queryset, field_name: str = "order_id") -> set[int]:
    return set(queryset.values_list(field_name, flat=True).distinct())


def health_index(*, start: datetime, end: datetime, by: str = "shop") -> list[HealthRow]:
    """The Order Health Index (0-100) per day and shop (or warehouse), from the orders received that day.

    timeliness      100 × (1 − mean sync delay / HEALTH_TIMELINESS_ZERO_MINUTES), the delay being
                    received − modified on the platform, floored at 0
    completeness    share of orders with lines, a full receiver region and (when paid) a payment time
    consistency     share without a status conflict or amount discrepancy; halved on a day whose daily
                    count check for the shop failed
    accuracy        share with no wrong scan at the pack station and no re-route (an allocation released
                    while the order went on)
    controllability share that needed no manual step (no hold resolved by a person, no console edit)
    index           the parts weighted by settings.HEALTH_INDEX_WEIGHTS
    """
    orders = list(
        Order.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list(
            "pk",
            "created_at",
            "platform_updated_at",
            "status",
            "platform_paid_at",
            "receiver_province",
            "receiver_city",
            "receiver_district",
            "shop__code",
            "shop_id",
        )
        .order_by("-created_at")[:MAX_ROWS]
    )
    if not orders:
        return []
    ids = [row[0] for row in orders]
    with_lines = set()
    conflicts, inaccurate, manual = set(), set(), set()
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        with_lines |= set(
            Order.objects.filter(pk__in=chunk, lines__isnull=False).values_list("pk", flat=True).distinct()
        )
        conflicts |= _ids_with(Hold.objects.filter(order_id__in=chunk, kind__in=CONFLICT_HOLDS))
        conflicts |= _ids_with(OrderEvent.objects.filter(order_id__in=chunk, type="status_conflict"))
        manual |= _ids_with(Hold.objects.filter(order_id__in=chunk, resolved_by__isnull=False))
        manual |= _ids_with(OrderEvent.objects.filter(order_id__in=chunk, actor_type="user"))
        PackScan = _model("fulfillment", "PackScan")
        if PackScan is not None:
            inaccurate |= _ids_with(PackScan.objects.filter(order_id__in=chunk, result__in=BAD_SCANS))
        Allocation = _model("fulfillment", "Allocation")
        if Allocation is not None:
            inaccurate |= _ids_with(
                Allocation.objects.filter(line__order_id__in=chunk, status="released").exclude(
                    line__order__status="cancelled"
                ),
                "line__order_id",
            )
    warehouses: dict[int, str] = {}
    if by == "warehouse":
        Fulfillment = _model("fulfillment", "OrderFulfillment")
        if Fulfillment is None:
            return []
        for chunk_start in range(0, len(ids), 5000):
            warehouses.update(
                Fulfillment.objects.filter(
                    order_id__in=ids[chunk_start : chunk_start + 5000], warehouse__isnull=False
                ).values_list("order_id", "warehouse__code")
            )
    failed_checks = _failed_count_checks(start, end)
    zero_minutes = float(getattr(settings, "HEALTH_TIMELINESS_ZERO_MINUTES", 30))
    weights = health_weights()
    groups: dict[tuple[date, str], list] = defaultdict(list)
    shop_of: dict[tuple[date, str], int] = {}
    for row in orders:
        key_name = warehouses.get(row[0]) if by == "warehouse" else row[8]
        if key_name is None:
            continue
        key = (local_date(row[1]), key_name)
        groups[key].append(row)
        shop_of[key] = row[9]
    result = []
    for (day, name), rows in sorted(groups.items()):
        n = len(rows)
        delays = [max((r[1] - r[2]).total_seconds() / 60, 0) for r in rows if r[2] is not None]
        mean_delay = statistics.fmean(delays) if delays else 0.0
        complete = sum(
            1
            for r in rows
            if r[0] in with_lines
            and r[5]
            and r[6]
            and r[7]
            and (r[3] == "pending_payment" or r[4] is not None)
        )
        consistency = 100 * (1 - sum(1 for r in rows if r[0] in conflicts) / n)
        if by == "shop" and (shop_of[(day, name)], day) in failed_checks:
            consistency /= 2
        parts = {
            "timeliness": max(0.0, 100 * (1 - mean_delay / zero_minutes)),
            "completeness": 100 * complete / n,
            "consistency": consistency,
            "accuracy": 100 * (1 - sum(1 for r in rows if r[0] in inaccurate) / n),
            "controllability": 100 * (1 - sum(1 for r in rows if r[0] in manual) / n),
        }
        index = sum(weights[p] * parts[p] for p in PARTS) / sum(weights.values())
        result.append(HealthRow(day, name, n, {p: round(v, 1) for p, v in parts.items()}, round(index, 1)))
    return result


def _failed_count_checks(start: datetime, end: datetime) -> set[tuple[int, date]]:
    SyncRun = _model("channels_sync", "SyncRun")
    if SyncRun is None:
        return set()
    rows = SyncRun.objects.filter(
        kind="count_check", ok=False, window_start__gte=start - timedelta(days=1), window_start__lt=end
    ).values_list("shop_id", "window_start")
    return {(shop_id, local_date(at)) for shop_id, at in rows if at is not None}


def health_by_day(rows: list[HealthRow]) -> dict:
    """Order-weighted index per day across the groups, for the chart."""
    days: dict[date, list[HealthRow]] = defaultdict(list)
    for row in rows:
        days[row.day].append(row)
    labels = sorted(days)
    return {
        "labels": [d.isoformat() for d in labels],
        "index": [
            round(sum(r.index * r.orders for r in days[d]) / sum(r.orders for r in days[d]), 1)
            for d in labels
        ],
    }


# ---------------------------------------------------------------- everything on the page
def dashboard_data(*, user, now: datetime | None = None, days: int = 7, baseline=None, current=None) -> dict:
    from channels_sync.selectors import shop_health

    now = now or timezone.now()
    today = local_date(now)
    start, end = day_bounds(today - timedelta(days=days - 1), today)
    backlog = ops_selectors.backlog(now=now)
    shop_rows = health_index(start=start, end=end, by="shop")
    warehouse_rows = health_index(start=start, end=end, by="warehouse")
    current = current or (today - timedelta(days=days - 1), today)
    return {
        "now": now,
        "days": days,
        "backlog": backlog,
        "orders_per_hour": orders_per_channel_hour(now=now),
        "exceptions": ops_selectors.exception_queue(),
        "sync_health": shop_health(user, now=now),
        "cycle": fulfillment_cycle(start=start, end=end),
        "refunds": refunds_in_flight(now=now),
        "health_shops": shop_rows,
        "health_warehouses": warehouse_rows,
        "health_chart": health_by_day(shop_rows),
        "weights": health_weights(),
        "compression": compression_ratio(baseline=baseline, current=current) if baseline else None,
        "baseline": baseline,
        "current": current,
        "alerts": list(ops_selectors.active_alerts()[:20]),
        "paid_today": Order.objects.filter(platform_paid_at__gte=day_bounds(today, today)[0]).count(),
        "open_holds": Hold.objects.filter(status=HoldStatus.OPEN).count(),
    }


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


__all__ = ["compression_ratio", "dashboard_data", "health_index"]
