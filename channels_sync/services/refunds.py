"""Refunds through the inbound path: a refund payload (push or poll) is stored raw like an order, then the
drain reads it with the platform's refund mapping, keeps the normalized cases on the payload and
announces "refund.received" — the refunds app (a higher layer) applies them; this app never imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import httpx

from channels_sync.models import InboundEvent, InboundKind, InboundSource
from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.http import fail_fast, http_client
from channels_sync.platforms.refunds import RefundDecision, refund_module
from channels_sync.platforms.registry import PLATFORM_NAMES
from channels_sync.services.inbound import InboundItem, inbound_store
from channels_sync.shops import client_for
from orderhub.dispatch import announce
from orderhub.models import Shop
from orderhub.normalized_refund import NormalizedRefund

REFUND_RECEIVED = "refund.received"


def _push_order_id(payload) -> str:
    """The order a refund push names (PDD's detail call needs it beside the refund id)."""
    if not isinstance(payload, dict):
        return ""
    content = (
        (payload.get("message") or {}).get("content") if isinstance(payload.get("message"), dict) else None
    )
    content = content if content is not None else payload.get("content") or payload.get("data")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return ""
    if not isinstance(content, dict):
        return ""
    for key in ("tid", "order_sn", "p_id", "trade_order_id", "order_id"):
        if content.get(key) not in (None, ""):
            return str(content[key])
    return ""


def refunds_read(event: InboundEvent, shop: Shop, http: httpx.Client) -> list[NormalizedRefund]:
    """The cases a stored refund payload stands for (fetching the detail when it only announces one)."""
    if shop.platform not in PLATFORM_NAMES:
        raise PayloadError(f"platform {shop.platform!r} has no refund API; refunds are not read for it")
    module = refund_module(shop.platform)
    try:
        payload = json.loads(event.payload)
    except ValueError as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    if event.needs_fetch:
        with fail_fast():
            raws = [module.fetch_refund(client_for(shop, http), event.external_id, _push_order_id(payload))]
    elif event.source == InboundSource.PULL:
        raws = [payload]  # a poll stores each case as it was listed
    else:
        raws = module.extract_refunds(payload)
    return [module.normalize_refund(raw) for raw in raws]


def refund_event_process(event: InboundEvent, shop: Shop, http: httpx.Client) -> int:
    """Reads the payload, keeps the normalized cases on it and announces them; the number of cases."""
    refunds = refunds_read(event, shop, http)
    moments = [refund.platform_modified_at for refund in refunds if refund.platform_modified_at]
    InboundEvent.objects.filter(pk=event.pk).update(
        normalized=[refund.to_json() for refund in refunds],
        platform_updated_at=max(moments) if moments else event.platform_updated_at,
    )
    announce(REFUND_RECEIVED, inbound_event_id=event.pk)
    return len(refunds)


def refunds_normalized(event_id: int) -> tuple[InboundEvent, list[NormalizedRefund]]:
    """What the drain kept on a refund payload, for the refunds app to apply."""
    event = InboundEvent.objects.select_related("shop").get(pk=event_id, kind=InboundKind.REFUND)
    return event, [NormalizedRefund.from_json(item) for item in event.normalized or []]


def refund_pages(shop: Shop, start: datetime, end: datetime, http: httpx.Client) -> Iterator[list[dict]]:
    """Every case the platform lists as modified in [start, end), page by page (raw)."""
    module = refund_module(shop.platform)
    yield from module.fetch_refunds(client_for(shop, http), start, end)


def refund_page_store(shop: Shop, raws: list[dict]) -> list[int]:
    """Stores one polled page raw, one payload per case (a case seen before is not stored twice)."""
    module = refund_module(shop.platform)
    items = []
    for raw in raws:
        text = json.dumps(raw, ensure_ascii=False, sort_keys=True)
        try:
            refund = module.normalize_refund(raw)
        except PayloadError as exc:
            items.append(
                InboundItem(
                    shop.platform,
                    InboundSource.PULL,
                    text,
                    shop_id=shop.pk,
                    kind=InboundKind.REFUND,
                    error=f"unreadable refund: {exc}",
                )
            )
            continue
        items.append(
            InboundItem(
                platform=shop.platform,
                source=InboundSource.PULL,
                payload=text,
                shop_id=shop.pk,
                kind=InboundKind.REFUND,
                external_id=refund.platform_refund_id,
                platform_updated_at=refund.platform_modified_at,
            )
        )
    return inbound_store(items)


def refund_decision_send(*, shop: Shop, decision: RefundDecision, http: httpx.Client | None = None) -> dict:
    """Approves or rejects a case through the platform's API (retries transient failures)."""
    module = refund_module(shop.platform)
    owns = http is None
    http = http or http_client(timeout=20)
    try:
        return module.send_decision(client_for(shop, http), decision)
    finally:
        if owns:
            http.close()
