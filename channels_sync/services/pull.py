"""Incremental pulls: overlapping windows, every page stored before the cursor moves."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_sync.models import InboundKind, InboundSource, ShopSyncState, SyncKind, SyncRun
from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError
from channels_sync.platforms.http import http_client
from channels_sync.platforms.registry import get_adapter
from channels_sync.services.inbound import InboundItem, ProcessReport, inbound_process, inbound_store
from channels_sync.shops import client_for
from orderhub import personal_data
from orderhub.models import Shop

# How far behind "now" a window ends, so orders still being written on the platform are not skipped.
# PDD asks for three minutes; one minute is enough elsewhere.
END_LAG = {"pdd": timedelta(minutes=3)}
DEFAULT_END_LAG = timedelta(minutes=1)
FIRST_PULL_LOOKBACK = timedelta(days=1)
BACKFILL_SPAN = timedelta(hours=2)


def pull_window(
    shop: Shop, kind: str, *, now: datetime, cursor: datetime | None
) -> tuple[datetime, datetime]:
    end = now - END_LAG.get(shop.platform, DEFAULT_END_LAG)
    if kind == SyncKind.BACKFILL:
        return end - BACKFILL_SPAN, end
    overlap = timedelta(minutes=shop.pull_overlap_minutes)
    start = (cursor or end - FIRST_PULL_LOOKBACK) - overlap
    return min(start, end), end


def shop_pull(
    *,
    shop: Shop,
    kind: str = SyncKind.PULL,
    since: datetime | None = None,
    until: datetime | None = None,
    on_page: Callable[[SyncRun], None] | None = None,
    http: httpx.Client | None = None,
) -> SyncRun:
    """Pulls one shop's orders modified in a window; returns the recorded run (ok or not)."""
    state, _ = ShopSyncState.objects.get_or_create(shop=shop)
    start, end = pull_window(shop, kind, now=timezone.now(), cursor=state.cursor)
    start, end = since or start, until or end
    run = SyncRun.objects.create(shop=shop, kind=kind, window_start=start, window_end=end)
    report = ProcessReport()
    owns_http = http is None
    http = http or http_client(timeout=getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 20))
    try:
        client = client_for(shop, http)
        for page in client.fetch_orders(start, end):
            page_report = _store_and_process(shop, page, http)
            report.add(page_report)
            run.pages += 1
            _count(run, report)
            run.save(update_fields=["pages", "orders_new", "orders_updated", "orders_unchanged", "errors"])
            if on_page:
                on_page(run)
    except AuthExpired as exc:
        _finish(run, ok=False, error=f"authorisation expired, re-authorise the shop: {exc}")
        ShopSyncState.objects.filter(pk=state.pk).update(auth_error=str(exc))
        return run
    except PlatformError as exc:
        _finish(run, ok=False, error=f"platform error {exc.code}: {exc}")
        return run
    finally:
        if owns_http:
            http.close()
    _finish(run, ok=True)
    _advance_cursor(state, run, kind=kind, explicit=since is not None or until is not None)
    return run


def _store_and_process(shop: Shop, page: list[dict], http: httpx.Client) -> ProcessReport:
    items = [
        InboundItem(
            platform=shop.platform,
            source=InboundSource.PULL,
            shop_id=shop.pk,
            kind=InboundKind.ORDER,
            external_id=_external_id(shop.platform, raw),
            payload=json.dumps(raw, ensure_ascii=False, sort_keys=True),
        )
        for raw in page
    ]
    new_ids = inbound_store(items)
    report = inbound_process(new_ids, http=http)
    # A payload identical to one already stored brings nothing new: count it as unchanged.
    report.outcomes["unchanged"] += len(items) - len(new_ids)
    return report


def _external_id(platform: str, raw: dict) -> str:
    try:
        return get_adapter(platform).normalize(raw).platform_order_id
    except (PayloadError, ValueError):
        return ""  # processing will record why this payload is unreadable


def _count(run: SyncRun, report: ProcessReport) -> None:
    run.orders_new = report.outcomes["created"]
    run.orders_updated = report.outcomes["updated"]
    run.orders_unchanged = report.outcomes["unchanged"] + report.outcomes["stale"]
    run.errors = report.failed + report.dead


def _finish(run: SyncRun, *, ok: bool, error: str = "") -> None:
    run.ok = ok
    run.error_message = personal_data.redact_text(error)
    run.finished_at = timezone.now()
    run.save()


def _advance_cursor(state: ShopSyncState, run: SyncRun, *, kind: str, explicit: bool) -> None:
    """The incremental cursor only moves forward, and only over a window that joins the last one."""
    with transaction.atomic():
        state = ShopSyncState.objects.select_for_update().get(pk=state.pk)
        joins = state.cursor is None or run.window_start <= state.cursor
        moves_forward = state.cursor is None or run.window_end > state.cursor
        # An operator's explicit window before the first pull must not seed the schedule's cursor.
        seeded = not explicit or state.cursor is not None
        if kind in (SyncKind.PULL, SyncKind.MANUAL) and joins and moves_forward and seeded:
            state.cursor = run.window_end
        state.last_success_at = timezone.now()
        state.auth_error = ""
        state.save()
