"""The inbound path: store every raw payload first, then turn batches of them into orders.

Pushes, pulls, the ingestion API and sheet imports all come through here, so "stored before processed",
"once per payload" and "a failure is kept, visible and replayable" hold for every channel alike.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import psycopg
from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import F
from django.utils import timezone

from channels_sync.locks import drain_lease_release, drain_lease_take, lock_claimable_inbound
from channels_sync.models import InboundEvent, InboundKind, InboundSource, InboundStatus, ShopSyncState
from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, PushMessage
from channels_sync.platforms.http import fail_fast, http_client
from channels_sync.platforms.registry import get_adapter
from channels_sync.selectors import claim_times, inbound_claimable_now
from channels_sync.services.generic import normalized_from_json
from channels_sync.shops import client_for
from orderhub import personal_data
from orderhub.events import Actor
from orderhub.models import Shop
from orderhub.normalized import NormalizedOrder
from orderhub.services.upsert import orders_upsert

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# Longer than any one batch takes; renewed after each, so only a dead drain's lease runs out.
DRAIN_LEASE_SECONDS = 120


@dataclass
class InboundItem:
    platform: str
    source: str
    payload: str
    shop_id: int | None = None
    kind: str = InboundKind.ORDER
    topic: str = ""
    external_id: str = ""
    message_id: str = ""
    needs_fetch: bool = False
    platform_updated_at: datetime | None = None
    push_headers: dict = field(default_factory=dict)
    # A payload already known to be unreadable is stored straight into the dead-letter list.
    error: str = ""


# Headers never kept with a payload: they identify a session or repeat the signature, not the message.
DROPPED_HEADERS = {"cookie", "authorization", "content-length", "host", "connection"}


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers a platform's parser reads (topic, shop, app), kept so the body can be parsed again."""
    return {name: value for name, value in headers.items() if name not in DROPPED_HEADERS}


def push_items(
    *,
    platform: str,
    messages: list[PushMessage],
    body_text: str,
    sender_shop_id: int,
    shops_by_platform_id: dict[str, int],
) -> list[InboundItem]:
    return [
        InboundItem(
            platform=platform,
            source=InboundSource.PUSH,
            # A message naming a shop we do not have is kept without one: a dead letter, not a wrong shop.
            shop_id=shops_by_platform_id.get(message.platform_shop_id)
            if message.platform_shop_id
            else sender_shop_id,
            kind=message.kind if message.kind in InboundKind.values else InboundKind.OTHER,
            topic=message.topic,
            external_id=message.external_id,
            message_id=message.message_id,
            needs_fetch=message.needs_fetch,
            payload=json.dumps(message.payload, ensure_ascii=False, sort_keys=True)
            if len(messages) > 1
            else body_text,
        )
        for message in messages
    ]


def payload_digest(platform: str, payload: str) -> str:
    return personal_data.keyed_digest(f"{platform}\n{payload}".encode())


def inbound_store(items: list[InboundItem]) -> list[int]:
    """Stores each payload once; returns the ids of those that were new (duplicates are dropped)."""
    if not items:
        return []
    now = timezone.now()
    rows = [_row(item, now) for item in items]
    fresh, seen = [], set()
    for row in rows:
        if (row["platform"], row["payload_hash"]) not in seen:
            seen.add((row["platform"], row["payload_hash"]))
            fresh.append(row)
    new_ids = []
    for start in range(0, len(fresh), 500):
        inserted = _insert_new(fresh[start : start + 500])
        new_ids += [pk for pk, status in inserted if status == InboundStatus.PENDING]
    return new_ids


INSERTED_FIELDS = [f for f in InboundEvent._meta.concrete_fields if not f.primary_key]


def _row(item: InboundItem, now: datetime) -> dict:
    """The new row's values by field name: the item's, the model's defaults for the rest."""
    given = {
        "platform": item.platform,
        "shop_id": item.shop_id,
        "source": item.source,
        "kind": item.kind,
        "topic": item.topic[:64],
        "external_id": item.external_id[:64],
        "message_id": item.message_id[:128],
        "needs_fetch": item.needs_fetch,
        "payload": item.payload,
        "push_headers": item.push_headers,
        "payload_hash": payload_digest(item.platform, item.payload),
        "platform_updated_at": item.platform_updated_at,
        "status": InboundStatus.DEAD if item.error else InboundStatus.PENDING,
        "last_error": personal_data.redact_text(item.error),
        "received_at": now,
    }
    return given | {
        field.attname: field.get_default() for field in INSERTED_FIELDS if field.attname not in given
    }


def _insert_new(rows: list[dict]) -> list[tuple[int, str]]:
    """One INSERT for the rows, skipping payloads stored before (or by a concurrent request) through the
    unique (platform, hash) index; returns (id, status) of the rows inserted.

    Written by hand because the webhook stores one payload per request, and there building a model
    instance, Django's insert compiler and psycopg's client-side quoting of every value cost more than
    the database does. On PostgreSQL the values travel as server-side parameters (psycopg's C adapters).
    """
    # The connection itself, not the thread-local proxy: fields read it for every value they prepare.
    db = connections[router.db_for_write(InboundEvent)]
    params = [field.get_db_prep_save(row[field.attname], db) for row in rows for field in INSERTED_FIELDS]
    sql = _insert_sql(db.alias, len(rows))
    if db.vendor == "postgresql":
        db.ensure_connection()
        db.validate_no_broken_transaction()
        cursor = psycopg.Cursor(db.connection)
    else:
        cursor = db.cursor()
    with db.wrap_database_errors, cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.lru_cache(maxsize=16)
def _insert_sql(alias: str, row_count: int) -> str:
    """The INSERT for so many rows (one, for a push), written once per process and database."""
    quote = connections[alias].ops.quote_name
    row_placeholders = f"({', '.join(['%s'] * len(INSERTED_FIELDS))})"
    table, columns = quote(InboundEvent._meta.db_table), ", ".join(quote(f.column) for f in INSERTED_FIELDS)
    values = ", ".join([row_placeholders] * row_count)
    returning = f"{quote('id')}, {quote('status')}"
    # Names come from the model and values travel as parameters.
    return f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING RETURNING {returning}"  # noqa: S608


def inbound_claim(*, limit: int) -> list[int]:
    """Claims a batch for one worker: pending, due for retry, or abandoned by a worker that died."""
    now, stale_before = claim_times()
    with transaction.atomic():
        ids = lock_claimable_inbound(limit=limit, now=now, stale_before=stale_before)
        if ids:
            InboundEvent.objects.filter(pk__in=ids).update(
                status=InboundStatus.PROCESSING, claimed_at=now, attempts=F("attempts") + 1
            )
    return ids


@dataclass
class ProcessReport:
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: int = 0
    dead: int = 0
    order_ids: list[int] = field(default_factory=list)
    # (event id, status, result, order id) of payloads done, until _finish_all writes them together
    finished: list[tuple[int, str, str, int | None]] = field(default_factory=list, repr=False)

    def add(self, other: ProcessReport) -> None:
        for result, count in other.outcomes.items():
            self.outcomes[result] += count
        self.failed += other.failed
        self.dead += other.dead
        self.order_ids += other.order_ids


def inbound_process(
    ids: list[int], *, http: httpx.Client | None = None, counted: bool = False
) -> ProcessReport:
    """Turns stored payloads into orders; each failure is recorded on its own payload.

    Each call counts an attempt on its payloads (MAX_ATTEMPTS makes a dead letter of one that keeps
    failing, even by killing its worker) unless the claim that handed them over `counted` it already.
    """
    report = ProcessReport()
    events = list(InboundEvent.objects.filter(pk__in=ids).select_related("shop").order_by("pk"))
    if not counted:
        InboundEvent.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
        for event in events:
            event.attempts += 1
    by_shop: dict[int | None, list[InboundEvent]] = defaultdict(list)
    for event in events:
        by_shop[event.shop_id].append(event)
    owns_http = http is None
    http = http or http_client(timeout=getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 20))
    try:
        for shop_events in by_shop.values():
            shop_report = _process_shop_events(shop_events, http)
            _finish_all(shop_report.finished)
            shop_report.finished.clear()
            report.add(shop_report)
    finally:
        if owns_http:
            http.close()
    return report


def _process_shop_events(events: list[InboundEvent], http: httpx.Client) -> ProcessReport:
    report = ProcessReport()
    shop = events[0].shop
    if shop is None:
        for event in events:
            _fail(event, "no shop of ours matches this payload", dead=True, report=report)
        return report
    adapter = get_adapter(shop.platform) if shop.platform != "manual" else None
    ready: list[tuple[InboundEvent, list[tuple[NormalizedOrder, dict]]]] = []
    for event in events:
        if event.push_headers and not event.external_id and adapter and adapter.push:
            event = _reparse_push(event, shop, adapter, http, report)
            if event is None:
                continue
        if event.kind == InboundKind.REFUND:
            _process_refund(event, shop, http, report)
            continue
        if event.kind == InboundKind.OTHER:
            _finish(event, "ignored", status=InboundStatus.IGNORED, report=report)
            continue
        try:
            ready.append((event, _read_orders(event, shop, adapter, http)))
        except AuthExpired as exc:
            ShopSyncState.objects.update_or_create(shop=shop, defaults={"auth_error": str(exc)})
            _fail(event, f"authorisation expired: {exc}", dead=False, report=report)
        except PlatformError as exc:
            _fail(event, f"platform error {exc.code}: {exc}", dead=not exc.retryable, report=report)
        except PayloadError as exc:
            _fail(event, f"unreadable payload: {exc}", dead=True, report=report)
    _upsert_ready(shop, ready, report)
    return report


def _process_refund(event: InboundEvent, shop: Shop, http: httpx.Client, report: ProcessReport) -> None:
    """A refund payload: read by the platform's refund mapping, kept normalized, announced."""
    from channels_sync.services.refunds import refund_event_process  # it stores through this module

    try:
        refund_event_process(event, shop, http)
    except AuthExpired as exc:
        ShopSyncState.objects.update_or_create(shop=shop, defaults={"auth_error": str(exc)})
        _fail(event, f"authorisation expired: {exc}", dead=False, report=report)
    except PlatformError as exc:
        _fail(event, f"platform error {exc.code}: {exc}", dead=not exc.retryable, report=report)
    except PayloadError as exc:
        _fail(event, f"unreadable refund payload: {exc}", dead=True, report=report)
    else:
        _finish(event, "announced", report=report)


def _read_orders(event: InboundEvent, shop: Shop, adapter, http) -> list[tuple[NormalizedOrder, dict]]:
    if adapter is None:  # the generic channel stores normalized JSON
        payload = _json(event.payload)
        return [(normalized_from_json(payload, platform=shop.platform), payload)]
    if event.needs_fetch:
        with fail_fast():  # the payload's own retry backoff takes over; the batch goes on
            raws = [client_for(shop, http).fetch_order(event.external_id)]
    else:
        raws = adapter.extract_orders(_json(event.payload))
    return [(adapter.normalize(raw), raw) for raw in raws]


def _reparse_push(
    event: InboundEvent, shop: Shop, adapter, http, report: ProcessReport
) -> InboundEvent | None:
    """A push kept unparsed (a parser bug, since fixed) is parsed now.

    One message: the payload takes the message's identity and is processed as usual (returned). Several:
    each becomes a payload of its own, processed at once, and this one is finished as "reparsed".
    """
    try:
        messages = adapter.push.parse(event.push_headers, event.payload.encode())
    except PayloadError as exc:
        _fail(event, f"malformed push: {exc}", dead=True, report=report)
        return None
    if len(messages) == 1:
        message = messages[0]
        identity = {
            "kind": message.kind if message.kind in InboundKind.values else InboundKind.OTHER,
            "topic": message.topic[:64],
            "external_id": message.external_id[:64],
            "message_id": message.message_id[:128],
            "needs_fetch": message.needs_fetch,
            "push_headers": {},
        }
        InboundEvent.objects.filter(pk=event.pk).update(**identity)
        for name, value in identity.items():
            setattr(event, name, value)
        return event
    shops = {s.platform_shop_id: s.pk for s in Shop.objects.filter(platform=shop.platform, active=True)}
    items = push_items(
        platform=shop.platform,
        messages=messages,
        body_text=event.payload,
        sender_shop_id=shop.pk,
        shops_by_platform_id=shops,
    )
    report.add(inbound_process(inbound_store(items), http=http))
    _finish(event, "reparsed", report=report)
    return None


def _json(payload: str):
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise PayloadError(f"not JSON: {exc}") from exc


def _upsert_ready(shop: Shop, ready, report: ProcessReport) -> None:
    if not ready:
        return
    actor = Actor.channel(f"{shop.platform} sync")
    items = [item for _, orders in ready for item in orders]
    try:
        outcomes = orders_upsert(shop=shop, items=items, actor=actor)
    except Exception:
        # One bad order must not sink its batch: retry one payload at a time to find it.
        logger.exception("batch upsert failed for shop %s; retrying payloads one by one", shop.code)
        for event, orders in ready:
            try:
                _record(event, orders_upsert(shop=shop, items=orders, actor=actor), report)
            except Exception as exc:
                _fail(event, f"could not store the order: {exc!r}", dead=False, report=report)
        return
    position = 0
    for event, orders in ready:
        _record(event, outcomes[position : position + len(orders)], report)
        position += len(orders)


def _record(event: InboundEvent, outcomes, report: ProcessReport) -> None:
    for outcome in outcomes:
        report.outcomes[outcome.result] += 1
        report.order_ids.append(outcome.order_id)
    results = {outcome.result for outcome in outcomes}
    _finish(
        event,
        results.pop() if len(results) == 1 else "mixed",
        order_id=outcomes[0].order_id if outcomes else None,
        report=report,
    )


def _finish(
    event: InboundEvent, result: str, *, report: ProcessReport, status=InboundStatus.DONE, order_id=None
) -> None:
    report.finished.append((event.pk, status, result, order_id))


def _finish_all(finished: list[tuple[int, str, str, int | None]]) -> None:
    """Marks payloads done with their result and order: one statement for the batch on PostgreSQL (one
    row version per payload, not one per column set), one UPDATE per result elsewhere."""
    if not finished:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        # Four arrays unnested into one UPDATE; bulk_update's CASE per row cost ten times more.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {InboundEvent._meta.db_table} AS e SET status = v.status, result = v.result, "  # noqa: S608
                "order_id = v.order_id, processed_at = %s, last_error = '', claimed_at = NULL "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[]) "
                "AS v(id, status, result, order_id) WHERE e.id = v.id",
                [now, *(list(column) for column in zip(*finished, strict=True))],
            )
        return
    by_result: dict[tuple[str, str], list[int]] = defaultdict(list)
    for event_id, status, result, _ in finished:
        by_result[(status, result)].append(event_id)
    for (status, result), ids in by_result.items():
        InboundEvent.objects.filter(pk__in=ids).update(
            status=status, result=result, order_id=None, processed_at=now, last_error="", claimed_at=None
        )
    rows = [InboundEvent(pk=event_id, order_id=order_id) for event_id, _, _, order_id in finished if order_id]
    InboundEvent.objects.bulk_update(rows, ["order_id"], batch_size=500)


def _fail(event: InboundEvent, error: str, *, dead: bool, report: ProcessReport) -> None:
    dead = dead or event.attempts >= MAX_ATTEMPTS
    delay = getattr(settings, "INBOUND_RETRY_DELAY_SECONDS", 30) * 2 ** max(event.attempts - 1, 0)
    InboundEvent.objects.filter(pk=event.pk).update(
        status=InboundStatus.DEAD if dead else InboundStatus.FAILED,
        last_error=personal_data.redact_text(error)[:2000],
        available_at=None if dead else timezone.now() + timedelta(seconds=delay),
        claimed_at=None,
    )
    if dead:
        report.dead += 1
    else:
        report.failed += 1


def inbound_replay(ids: list[int]) -> ProcessReport:
    """Sends payloads through processing again, now — only those no worker holds or is about to take.

    The payloads are claimed for this call (as a worker would claim them), so a drain running at the
    same moment skips them instead of processing them twice.
    """
    with transaction.atomic():
        claimable = InboundEvent.objects.filter(pk__in=ids).exclude(status=InboundStatus.PROCESSING)
        if connection.features.has_select_for_update_skip_locked:
            claimable = claimable.select_for_update(skip_locked=True)
        claimed = list(claimable.values_list("pk", flat=True))
        InboundEvent.objects.filter(pk__in=claimed).update(
            status=InboundStatus.PROCESSING,
            claimed_at=timezone.now(),
            attempts=1,
            available_at=None,
            last_error="",
        )
    return inbound_process(claimed, counted=True)


def inbound_drain(
    *, batch_size: int = 500, max_batches: int = 100, gather_seconds: float | None = None
) -> ProcessReport:
    """Processes claimable payloads batch by batch until none is left (or the budget is spent).

    One drain gathers at a time (a lease): while pushes keep coming it claims at most every
    `gather_seconds` (INBOUND_DRAIN_GATHER_SECONDS), so a peak reaches the upsert and the decisions in
    batches of tens or hundreds instead of a dozen; a full claim (catching up) is followed by the next at
    once. A drain that finds the lease taken helps only while a full batch is waiting (a backlog after an
    outage), else it returns at once: the holder takes the trickle."""
    gather = settings.INBOUND_DRAIN_GATHER_SECONDS if gather_seconds is None else gather_seconds
    report, holder, batches = ProcessReport(), uuid.uuid4().hex, 0
    with http_client(timeout=getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 20)) as http:

        def process(ids: list[int]) -> None:
            report.add(inbound_process(ids, http=http, counted=True))

        while batches < max_batches:
            if drain_lease_take(holder=holder, seconds=DRAIN_LEASE_SECONDS):
                batches += _gather(holder, process, batch_size, gather, max_batches - batches)
                # A payload stored between the last empty claim and the release saw the lease taken.
                if not _claimable(1):
                    break
            elif _claimable(batch_size):
                process(inbound_claim(limit=batch_size))
                batches += 1
            else:
                break
    return report


def _gather(holder: str, process, batch_size: int, gather: float, budget: int) -> int:
    """The lease holder's loop: claim, process, and wait out the gather window after a partial claim,
    until a claim comes back empty or the budget of batches is spent. Returns the batches processed."""
    done = 0
    try:
        while done < budget:
            began = time.monotonic()
            ids = inbound_claim(limit=batch_size)
            if not ids:
                break
            done += 1
            process(ids)
            drain_lease_take(holder=holder, seconds=DRAIN_LEASE_SECONDS)
            if len(ids) < batch_size:
                time.sleep(max(gather - (time.monotonic() - began), 0))
    finally:
        drain_lease_release(holder=holder)
    return done


def _claimable(at_least: int) -> bool:
    return inbound_claimable_now()[:at_least].count() >= at_least
