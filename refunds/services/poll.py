"""The refund poll: each shop's refund API over a window that overlaps the last one; every case is stored
raw through channels_sync's inbound path first; the cursor moves only after every page is stored."""

from __future__ import annotations

from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from channels_sync.platforms.base import PlatformError
from channels_sync.platforms.http import http_client
from channels_sync.services.inbound import inbound_process
from channels_sync.services.refunds import refund_page_store, refund_pages
from orderhub.models import Shop
from refunds.models import RefundSyncState

FIRST_POLL_LOOKBACK = timedelta(hours=24)
OVERLAP = timedelta(minutes=10)


def _lag() -> timedelta:
    """Platforms index a change a little after it happens: the window stops short of now."""
    return timedelta(seconds=getattr(settings, "REFUND_POLL_LAG_SECONDS", 30))


def shop_refunds_poll(*, shop: Shop, http: httpx.Client | None = None, process: bool = True) -> dict:
    state, _ = RefundSyncState.objects.get_or_create(shop=shop)
    now = timezone.now()
    start = (state.cursor - OVERLAP) if state.cursor else now - FIRST_POLL_LOOKBACK
    end = now - _lag()
    owns = http is None
    http = http or http_client(timeout=getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 20))
    stored: list[int] = []
    try:
        for page in refund_pages(shop, start, end, http):
            stored += refund_page_store(shop, page)
        if process and stored:
            inbound_process(stored, http=http)
    except PlatformError as exc:
        RefundSyncState.objects.filter(pk=state.pk).update(last_error=f"{exc.code}: {exc}"[:2000])
        return {"shop": shop.code, "ok": False, "error": str(exc), "stored": len(stored)}
    finally:
        if owns:
            http.close()
    RefundSyncState.objects.filter(pk=state.pk).update(
        cursor=end, last_success_at=now, last_error="", stored_last=len(stored)
    )
    return {
        "shop": shop.code,
        "ok": True,
        "stored": len(stored),
        "window": [start.isoformat(), end.isoformat()],
    }
