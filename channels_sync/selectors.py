"""Read queries for the sync console: the inbound log, sync runs and the per-shop health page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from channels_sync.models import InboundEvent, InboundStatus, ShopSyncState, SyncKind, SyncRun
from orderhub.models import Order, Shop
from orderhub.selectors import shops_for_user

# Payloads a worker may hold right now: replaying them would race the worker.
IN_FLIGHT = (InboundStatus.PENDING, InboundStatus.PROCESSING)
DEAD_LETTER = (InboundStatus.DEAD, InboundStatus.FAILED)
TOKEN_WARNING = timedelta(days=3)
PULL_KINDS = (SyncKind.PULL, SyncKind.BACKFILL, SyncKind.MANUAL)


def claim_times() -> tuple[datetime, datetime]:
    """Now, and the claim time before which a payload still processing was abandoned by its worker."""
    now = timezone.now()
    return now, now - timedelta(seconds=getattr(settings, "INBOUND_CLAIM_TIMEOUT_SECONDS", 300))


def inbound_claimable(*, now: datetime, stale_before: datetime) -> QuerySet[InboundEvent]:
    """Payloads a worker may take: pending, due for retry, or abandoned by a worker that died mid-batch."""
    return InboundEvent.objects.filter(
        Q(status=InboundStatus.PENDING)
        | Q(status=InboundStatus.FAILED, available_at__lte=now)
        | Q(status=InboundStatus.PROCESSING, claimed_at__lt=stale_before)
    )


def inbound_claimable_now() -> QuerySet[InboundEvent]:
    now, stale_before = claim_times()
    return inbound_claimable(now=now, stale_before=stale_before)


def _scoped(user) -> bool:
    return not user.is_superuser and Shop.objects.filter(staff=user).exists()


def inbound_events_for_user(user) -> QuerySet[InboundEvent]:
    """Staff scoped to some shops see their payloads; payloads of no known shop only unscoped staff see."""
    events = InboundEvent.objects.select_related("shop")
    return events.filter(shop__in=shops_for_user(user)) if _scoped(user) else events


def sync_runs_for_user(user) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(shop__in=shops_for_user(user)).select_related("shop")


def sync_states_for_user(user) -> QuerySet[ShopSyncState]:
    return ShopSyncState.objects.filter(shop__in=shops_for_user(user)).select_related("shop")


def replayable_ids(events: QuerySet[InboundEvent], *, dead_letters_only: bool = False) -> list[int]:
    """Ids to send through processing again, oldest first; payloads in a worker's hands are left alone."""
    events = (
        events.filter(status__in=DEAD_LETTER) if dead_letters_only else events.exclude(status__in=IN_FLIGHT)
    )
    return list(events.order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True)
class ShopHealth:
    shop: Shop
    now: datetime
    cursor: datetime | None
    last_success_at: datetime | None
    auth_error: str
    orders_last_hour: int
    runs_24h: int
    failed_runs_24h: int
    dead_letters: int
    check_at: datetime | None
    check_ok: bool | None
    check_message: str

    @property
    def pulled(self) -> bool:
        return self.shop.pull_enabled and self.shop.platform != "manual"

    @property
    def lag_minutes(self) -> int | None:
        """How far behind now the pulled data reaches: the cursor is where the last pull ended."""
        if self.cursor is None:
            return None
        return max(int((self.now - self.cursor).total_seconds() // 60), 0)

    @property
    def lagging(self) -> bool:
        if not self.pulled:
            return False
        return self.lag_minutes is None or self.lag_minutes > 2 * self.shop.pull_interval_minutes

    @property
    def error_rate(self) -> float | None:
        return self.failed_runs_24h / self.runs_24h if self.runs_24h else None

    @property
    def token_expired(self) -> bool:
        return self.shop.token_expires_at is not None and self.shop.token_expires_at <= self.now

    @property
    def token_expiring(self) -> bool:
        expires = self.shop.token_expires_at
        return expires is not None and expires - self.now < TOKEN_WARNING


def _per_shop(rows) -> dict[int, dict]:
    return {row.pop("shop"): row for row in rows}


def shop_health(user, *, now: datetime | None = None) -> list[ShopHealth]:
    """One row per active shop the user may see, in four queries whatever the number of shops."""
    now = now or timezone.now()
    last_check = SyncRun.objects.filter(shop=OuterRef("pk"), kind=SyncKind.COUNT_CHECK).order_by(
        "-started_at", "-pk"
    )
    shops = list(
        shops_for_user(user)
        .filter(active=True)
        .select_related("sync_state")
        .defer("credentials")  # encrypted, and not shown: no need to decrypt every shop's secrets
        .annotate(
            check_at=Subquery(last_check.values("window_start")[:1]),
            check_ok=Subquery(last_check.values("ok")[:1]),
            check_message=Subquery(last_check.values("error_message")[:1]),
        )
        .order_by("platform", "code")
    )
    ids = [shop.pk for shop in shops]
    orders = _per_shop(
        Order.objects.filter(shop_id__in=ids, created_at__gte=now - timedelta(hours=1))
        .values("shop")
        .annotate(count=Count("pk"))
    )
    runs = _per_shop(
        SyncRun.objects.filter(
            shop_id__in=ids, kind__in=PULL_KINDS, started_at__gte=now - timedelta(hours=24), ok__isnull=False
        )
        .values("shop")
        .annotate(runs=Count("pk"), failed=Count("pk", filter=Q(ok=False)))
    )
    dead = _per_shop(
        InboundEvent.objects.filter(shop_id__in=ids, status=InboundStatus.DEAD)
        .values("shop")
        .annotate(count=Count("pk"))
    )
    rows = []
    for shop in shops:
        state = getattr(shop, "sync_state", None)
        run_counts = runs.get(shop.pk, {})
        rows.append(
            ShopHealth(
                shop=shop,
                now=now,
                cursor=state.cursor if state else None,
                last_success_at=state.last_success_at if state else None,
                auth_error=state.auth_error if state else "",
                orders_last_hour=orders.get(shop.pk, {}).get("count", 0),
                runs_24h=run_counts.get("runs", 0),
                failed_runs_24h=run_counts.get("failed", 0),
                dead_letters=dead.get(shop.pk, {}).get("count", 0),
                check_at=shop.check_at,
                check_ok=shop.check_ok,
                check_message=shop.check_message or "",
            )
        )
    return rows
