"""Pinduoduo after-sales: pdd.refund.list.increment.get (≤30-minute windows), pdd.refund.information.get
(detail) and the seller's agree / refuse calls. refund_amount comes as yuan strings in the 2018 doc
example and as integer fen in recent integrations: both are read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.refunds import RefundDecision, readable
from channels_sync.platforms.util import beijing_time, fen, id_text, text, unseen, window_slices, yuan
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine

LIST_API = "pdd.refund.list.increment.get"
LIST_ROOT = "refund_increment_get_response"
DETAIL_API = "pdd.refund.information.get"
DETAIL_ROOT = "refund_information_get_response"
# The seller's decision (unverified names; PDD documents them only to approved apps).
AGREE_API = "pdd.refund.agree"
REFUSE_API = "pdd.refund.refuse"
DECISION_ROOT = "refund_operate_response"
WINDOW_LIMIT = timedelta(minutes=30)
PAGE_SIZE = 100
ALL_TYPES = 1
TYPES = {2: "refund_only", 3: "return_and_refund", 4: "exchange", 5: "resend", 6: "exchange"}  # 6 = repair


def amount_of(value):
    """An int is fen (recent integrations); a string or float is yuan (the documented example)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return fen(value)
    return yuan(value)


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and LIST_ROOT in body:
        rows = (body[LIST_ROOT] or {}).get("refund_list") or []
        if not isinstance(rows, list):
            raise PayloadError("PDD refund_list is not a list")
        return rows
    if isinstance(body, dict) and DETAIL_ROOT in body:
        return [body[DETAIL_ROOT]]
    raise PayloadError("not a PDD refund list or detail response")


@readable("PDD refund")
def normalize_refund(raw: dict) -> NormalizedRefund:
    raw_type = int(raw.get("after_sales_type") or 0)
    if raw_type not in TYPES:
        raise PayloadError(f"unknown PDD after_sales_type {raw_type!r}")
    amount = amount_of(raw.get("refund_amount"))
    quantity = int(raw.get("goods_number") or 0)
    return NormalizedRefund(
        platform="pdd",
        platform_refund_id=id_text(raw.get("id"), "PDD refund id"),
        platform_order_id=id_text(raw.get("order_sn"), "PDD refund order_sn"),
        refund_type=TYPES[raw_type],
        raw_type=str(raw_type),
        raw_status=text(raw["after_sales_status"]),
        amount=amount,
        reason=text(raw.get("after_sale_reason")),
        created_at=beijing_time(raw.get("created_time")),
        platform_modified_at=beijing_time(raw.get("updated_time")),
        return_tracking_number=text(raw.get("tracking_number")),
        lines=(
            NormalizedRefundLine(
                platform_sku_id=text(raw.get("sku_id")),
                outer_sku_code=text(raw.get("outer_id")),
                quantity=quantity,
                amount=amount,
            ),
        )
        if quantity
        else (),
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        page = 1
        while True:
            body = client.call(
                LIST_API,
                LIST_ROOT,
                after_sales_status=1,
                after_sales_type=ALL_TYPES,
                start_updated_at=int(lower.timestamp()),
                end_updated_at=int(upper.timestamp()),
                page=page,
                page_size=PAGE_SIZE,
            )
            rows = extract_refunds({LIST_ROOT: body})
            fresh = unseen(rows, seen, key=lambda row: f"{row.get('id')}:{row.get('updated_time')}")
            if fresh:
                yield fresh
            if page * PAGE_SIZE >= int(body.get("total_count") or 0) or not rows:
                break
            page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    body = client.call(DETAIL_API, DETAIL_ROOT, after_sales_id=refund_id, order_sn=order_id)
    return extract_refunds({DETAIL_ROOT: body})[0]


def send_decision(client, decision: RefundDecision) -> dict:
    params = {"after_sales_id": decision.platform_refund_id, "order_sn": decision.platform_order_id}
    if decision.approve:
        body = client.call(AGREE_API, DECISION_ROOT, **params)
    else:
        body = client.call(REFUSE_API, DECISION_ROOT, **params, reason=decision.reason)
    if body.get("success") is not True:
        raise PlatformError(f"PDD refused the decision: {str(body)[:300]}", code="decision_refused")
    return body
