"""The generic channel's way in: orders in the normalized JSON schema, from the ingestion API or a sheet.

Every order is stored raw first (an unreadable one straight into the dead-letter list, with its
error), then processed at once, so the caller learns what became of each order. Storing is once per
payload: posting the same order again changes nothing and reports "unchanged".
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _

from channels_sync.models import InboundEvent, InboundKind, InboundStatus
from channels_sync.platforms.base import PayloadError
from channels_sync.services.generic import normalized_from_json
from channels_sync.services.inbound import (
    InboundItem,
    inbound_process,
    inbound_replay,
    inbound_store,
    payload_digest,
)
from orderhub.exceptions import InvalidInput
from orderhub.models import Platform, Shop
from orderhub.selectors import shops_for_user

logger = logging.getLogger(__name__)
MAX_ORDERS = 500  # per call: one request, or one slice of a sheet
RESULTS = ("created", "updated", "unchanged", "stale", "failed")
# A payload in one of these states has had its say; sending it again must not run it again.
_SETTLED = (InboundStatus.DONE, InboundStatus.IGNORED)


@dataclass(frozen=True)
class IngestResult:
    platform_order_id: str
    result: str  # one of RESULTS
    order_id: int | None = None
    error: str = ""


def ingest_shop(*, code: str, user) -> Shop:
    """The shop a generic-channel order is for; it must be an active independent-site / offline shop."""
    shop = shops_for_user(user).filter(code=code).first() if code else None
    if shop is None:
        raise InvalidInput(_("Unknown shop %(code)s.") % {"code": repr(code)})
    if not shop.active:
        raise InvalidInput(_("Shop %(code)s is not active.") % {"code": shop.code})
    if shop.platform != Platform.MANUAL:
        raise InvalidInput(
            _(
                "Shop %(code)s is a %(platform)s shop, whose orders arrive by push and pull; only "
                "independent-site / offline shops take orders here."
            )
            % {"code": shop.code, "platform": shop.get_platform_display()}
        )
    return shop


def orders_ingest(*, shop: Shop, orders: list, source: str) -> list[IngestResult]:
    """Stores and processes one shop's orders; one result per order, in the order given."""
    if len(orders) > MAX_ORDERS:
        raise InvalidInput(_("At most %(max)d orders at a time.") % {"max": MAX_ORDERS})
    items = [_inbound_item(shop, source, order) for order in orders]
    new_ids = set(inbound_store(items))
    digests = [payload_digest(item.platform, item.payload) for item in items]
    known = _events(shop, digests)
    # A valid payload sent before that never settled (waiting for a retry, or dead after its retries)
    # is run again now: the sender is asking for it, and the upsert is idempotent.
    again = sorted(
        {
            event.pk
            for item, digest in zip(items, digests, strict=True)
            if (event := known[digest]).pk not in new_ids and not item.error and event.status not in _SETTLED
        }
    )
    if new_ids:
        inbound_process(sorted(new_ids))
    if again:
        inbound_replay(again)
    events = _events(shop, digests)
    results, reported = [], set()
    for item, digest in zip(items, digests, strict=True):
        event = events[digest]
        ran_now = digest not in reported and (event.pk in new_ids or event.pk in again)
        reported.add(digest)
        results.append(_result(item.external_id, event, ran_now=ran_now))
    counts = Counter(result.result for result in results)
    logger.info("%s orders for shop %s: %s", source, shop.code, dict(counts))
    return results


def _canonical(value) -> str:
    # Key order and spacing must not make the same order look new.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _inbound_item(shop: Shop, source: str, order) -> InboundItem:
    if isinstance(order, dict):
        platform_order_id = str(order.get("platform_order_id") or "")
        # The shop is part of the payload, so the same order id in two offline shops is two payloads.
        payload = _canonical({**order, "shop": shop.code})
    else:
        platform_order_id, payload = "", _canonical(order)
    item = InboundItem(
        platform=shop.platform,
        source=source,
        payload=payload,
        shop_id=shop.pk,
        kind=InboundKind.ORDER,
        external_id=platform_order_id[:64],
    )
    try:
        item.platform_updated_at = normalized_from_json(order, platform=shop.platform).updated_at
    except PayloadError as exc:
        item.error = f"invalid order: {exc}"
    return item


def _events(shop: Shop, digests: list[str]) -> dict[str, InboundEvent]:
    events = InboundEvent.objects.filter(platform=shop.platform, payload_hash__in=set(digests)).only(
        "pk", "payload_hash", "status", "result", "order_id", "last_error"
    )
    return {event.payload_hash: event for event in events}


def _result(platform_order_id: str, event: InboundEvent, *, ran_now: bool) -> IngestResult:
    if event.status in _SETTLED:
        result = event.result if ran_now and event.result in RESULTS else "unchanged"
        return IngestResult(platform_order_id, result, event.order_id)
    # Dead, or kept for a retry by the worker: either way this call did not store the order.
    error = event.last_error or _("not processed yet; the worker will retry it")
    return IngestResult(platform_order_id, "failed", event.order_id, error)
