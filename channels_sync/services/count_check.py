"""The daily count check: per shop and day, do we hold every order the platform has?"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from channels_sync.models import InboundEvent, InboundKind, InboundSource, InboundStatus, SyncKind, SyncRun
from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.http import http_client
from channels_sync.platforms.registry import get_adapter
from channels_sync.platforms.util import BEIJING
from channels_sync.services.inbound import (
    InboundItem,
    inbound_process,
    inbound_replay,
    inbound_store,
    payload_digest,
)
from channels_sync.services.pull import DEFAULT_END_LAG
from channels_sync.shops import client_for
from orderhub.models import Order, Shop

logger = logging.getLogger(__name__)


def shop_count_check(*, shop: Shop, day: date, http: httpx.Client) -> SyncRun:
    """Counts the day's orders on the platform and here; orders we lack are ingested on the spot.

    Platforms list by modification time, so the platform's count reads every order modified since the
    day began and keeps those created that day.
    """
    start = datetime.combine(day, time.min, tzinfo=BEIJING)
    end = start + timedelta(days=1)
    listed_until = min(
        timezone.now() - DEFAULT_END_LAG,
        start + timedelta(days=getattr(settings, "COUNT_CHECK_SPAN_DAYS", 3)),
    )
    run = SyncRun.objects.create(shop=shop, kind=SyncKind.COUNT_CHECK, window_start=start, window_end=end)
    adapter = get_adapter(shop.platform)
    platform_orders: dict[str, dict] = {}
    try:
        for page in client_for(shop, http).fetch_orders(start, listed_until):
            run.pages += 1
            for raw in page:
                try:
                    normalized = adapter.normalize(raw)
                except PayloadError:
                    run.errors += 1
                    continue
                if normalized.created_at and start <= normalized.created_at < end:
                    platform_orders[normalized.platform_order_id] = raw
    except PlatformError as exc:
        run.ok, run.error_message, run.finished_at = False, f"count check failed: {exc}", timezone.now()
        run.save()
        return run
    ours = set(
        Order.objects.filter(
            shop=shop, platform_created_at__gte=start, platform_created_at__lt=end
        ).values_list("platform_order_id", flat=True)
    )
    missing = sorted(set(platform_orders) - ours)
    extra = sorted(ours - set(platform_orders))
    if missing:
        run.orders_new = _ingest(shop, [platform_orders[order_id] for order_id in missing], http)
    run.ok = not missing and not extra
    run.details = {
        "day": day.isoformat(),
        "platform": len(platform_orders),
        "ours": len(ours),
        "missing": missing[:100],
        "extra": extra[:100],
    }
    if not run.ok:
        run.error_message = (
            f"count mismatch on {day}: platform {len(platform_orders)}, OrderHub {len(ours)}; "
            f"{len(missing)} missing (ingested now), {len(extra)} unknown to the platform"
        )
        logger.warning("shop %s: %s", shop.code, run.error_message)
    run.finished_at = timezone.now()
    run.save()
    return run


def _ingest(shop: Shop, raws: list[dict], http: httpx.Client) -> int:
    """Stores and processes the orders we lack; a payload stored before (its order since lost) is replayed."""
    payloads = [json.dumps(raw, ensure_ascii=False, sort_keys=True) for raw in raws]
    items = [
        InboundItem(
            platform=shop.platform,
            source=InboundSource.PULL,
            shop_id=shop.pk,
            kind=InboundKind.ORDER,
            payload=payload,
        )
        for payload in payloads
    ]
    new_ids = inbound_store(items)
    created = inbound_process(new_ids, http=http).outcomes["created"]
    hashes = [payload_digest(shop.platform, payload) for payload in payloads]
    stored_before = list(
        InboundEvent.objects.filter(
            platform=shop.platform, payload_hash__in=hashes, status=InboundStatus.DONE
        ).values_list("pk", flat=True)
    )
    return created + inbound_replay(stored_before).outcomes["created"]


def shops_count_check(day: date | None = None) -> list[SyncRun]:
    day = day or (timezone.now().astimezone(BEIJING).date() - timedelta(days=1))
    shops = Shop.objects.filter(active=True, pull_enabled=True).exclude(platform="manual")
    with http_client(timeout=getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 20)) as http:
        return [shop_count_check(shop=shop, day=day, http=http) for shop in shops]
