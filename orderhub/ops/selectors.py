"""Read queries of the ops app: the order-flow figures alerts and the dashboard share (core data only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DateTimeField, Min, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from orderhub.models import Hold, HoldStatus, Order, OrderEvent
from orderhub.ops.models import Alert, AlertStatus
from orderhub.status import OrderStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
RATE_WINDOW_MINUTES = 15


@dataclass(frozen=True)
class Backlog:
    """Paid orders not yet shipped, how fast orders leave that state, and when the backlog clears."""

    count: int
    oldest_paid_at: datetime | None
    rate_per_minute: float
    now: datetime

    @property
    def age_minutes(self) -> int | None:
        if self.oldest_paid_at is None:
            return None
        return max(int((self.now - self.oldest_paid_at).total_seconds() // 60), 0)

    @property
    def clears_at(self) -> datetime | None:
        if not self.count:
            return self.now
        if self.rate_per_minute <= 0:
            return None
        return self.now + timedelta(minutes=self.count / self.rate_per_minute)

    @property
    def clears_at_text(self) -> str:
        """Asia/Shanghai wall clock, HH:MM; a clearing time beyond today also shows the date."""
        at = self.clears_at
        if at is None:
            return "无法估计"
        local, today = at.astimezone(SHANGHAI), self.now.astimezone(SHANGHAI).date()
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%m-%d %H:%M")

    def message(self) -> str:
        return (
            f"当前订单积压量:{self.count}单,处理速率:{round(self.rate_per_minute)}单/分钟,"
            f"预计清空时间:{self.clears_at_text}"
        )


def backlog(*, now: datetime | None = None, shop_ids: list[int] | None = None) -> Backlog:
    now = now or timezone.now()
    orders = Order.objects.filter(status=OrderStatus.PAID)
    events = OrderEvent.objects.filter(
        type="status_changed",
        parameters__from_status=OrderStatus.PAID,
        created_at__gte=now - timedelta(minutes=RATE_WINDOW_MINUTES),
        created_at__lte=now,
    )
    if shop_ids is not None:
        orders = orders.filter(shop_id__in=shop_ids)
        events = events.filter(order__shop_id__in=shop_ids)
    figures = orders.aggregate(count=Count("pk"), oldest=Min(Coalesce("platform_paid_at", "created_at")))
    return Backlog(
        count=figures["count"],
        oldest_paid_at=figures["oldest"],
        rate_per_minute=events.count() / RATE_WINDOW_MINUTES,
        now=now,
    )


def inflow_per_minute(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Order.objects.filter(created_at__gt=now - timedelta(minutes=1), created_at__lte=now).count()


def stuck_limits() -> dict[str, int]:
    """Minutes an order may stay in a status before it counts as stuck (settings.OPS_STUCK_LIMITS_MINUTES)."""
    return dict(getattr(settings, "OPS_STUCK_LIMITS_MINUTES", {}))


def stuck_orders(*, now: datetime | None = None, limit: int = 500) -> dict[str, list[int]]:
    """Per status, orders in it longer than its limit that have no open stuck hold yet.

    The time an order entered its status: its latest status change to it, else its payment (paid) or
    its arrival.
    """
    now = now or timezone.now()
    entered = (
        # KT: the key as text, so the comparison with the status column works on PostgreSQL (jsonb) too.
        OrderEvent.objects.filter(order=OuterRef("pk"), type="status_changed")
        .annotate(to_status=KT("parameters__to_status"))
        .filter(to_status=OuterRef("status"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    result: dict[str, list[int]] = {}
    for status, minutes in stuck_limits().items():
        if not minutes:
            continue
        fallback = "platform_paid_at" if status == OrderStatus.PAID else "created_at"
        ids = list(
            Order.objects.filter(status=status)
            .annotate(
                entered_at=Coalesce(Subquery(entered, output_field=DateTimeField()), fallback, "created_at")
            )
            .filter(entered_at__lt=now - timedelta(minutes=minutes))
            .exclude(holds__kind="stuck", holds__status=HoldStatus.OPEN)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        result[status] = ids
    return result


def stuck_open_counts() -> dict[str, int]:
    return dict(
        Hold.objects.filter(kind="stuck", status=HoldStatus.OPEN)
        .values("order__status")
        .annotate(n=Count("pk"))
        .values_list("order__status", "n")
    )


def exception_queue() -> list[dict]:
    """Open holds by kind: how many and the oldest."""
    return list(
        Hold.objects.filter(status=HoldStatus.OPEN)
        .values("kind")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by("-count")
    )


def active_alerts():
    return (
        Alert.objects.exclude(status=AlertStatus.RESOLVED)
        .select_related("owner")
        .order_by("-level", "-last_raised_at")
    )


def alert_counts() -> dict[str, int]:
    return dict(
        Alert.objects.exclude(status=AlertStatus.RESOLVED)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def orders_per_hour(*, hours: int = 24, now: datetime | None = None):
    """(hour, platform, count) for orders received in the last `hours`, the hour in Asia/Shanghai."""
    from django.db.models.functions import TruncHour

    now = now or timezone.now()
    return list(
        Order.objects.filter(created_at__gte=now - timedelta(hours=hours))
        .annotate(hour=TruncHour("created_at", tzinfo=SHANGHAI))
        .values("hour", "shop__platform")
        .annotate(count=Count("pk"))
        .order_by("hour")
    )


def held_orders_share(*, since: datetime) -> float:
    orders = Order.objects.filter(created_at__gte=since)
    total = orders.count()
    return orders.filter(holds__isnull=False).distinct().count() / total if total else 0.0
