"""Youzan refunds: youzan.trade.refund.search (list), youzan.trade.refund.get (detail), agree / refuse.

Amounts are yuan strings, times Beijing-time strings. `demand` names the type: 1 refund only,
2 return and refund, 3 exchange. No public sample body was found: field names follow Youzan's
API reference (unverified), kept in this one module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.refunds import RefundDecision, readable
from channels_sync.platforms.util import (
    beijing_time,
    format_beijing,
    id_text,
    text,
    unseen,
    window_slices,
    yuan,
)
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine

SEARCH_API = ("youzan.trade.refund.search", "3.0.0")
DETAIL_API = ("youzan.trade.refund.get", "3.0.0")
AGREE_API = ("youzan.trade.refund.agree", "3.0.0")
REFUSE_API = ("youzan.trade.refund.refuse", "3.0.0")
WINDOW_LIMIT = timedelta(days=1)
PAGE_SIZE = 100
DEMANDS = {1: "refund_only", 2: "return_and_refund", 3: "exchange"}
PHASES = {1: "before_shipment", 2: "after_shipment"}


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and isinstance(body.get("refunds"), list):
        return body["refunds"]
    if isinstance(body, dict) and "refund_id" in body:
        return [body]
    raise PayloadError("not a Youzan refund search or detail response")


@readable("Youzan refund")
def normalize_refund(raw: dict) -> NormalizedRefund:
    demand = int(raw.get("demand") or 1)
    if demand not in DEMANDS:
        raise PayloadError(f"unknown Youzan refund demand {demand!r}")
    amount = yuan(raw.get("refund_fee"))
    lines = tuple(
        NormalizedRefundLine(
            platform_line_id=id_text(item.get("oid"), "Youzan refund oid", required=False),
            outer_sku_code=text(item.get("outer_sku_id") or item.get("sku_no")),
            quantity=int(item.get("refund_num") or item.get("num") or 0),
            amount=yuan(item.get("refund_fee")),
        )
        for item in raw.get("refund_order_item") or raw.get("items") or []
    )
    return NormalizedRefund(
        platform="youzan",
        platform_refund_id=id_text(raw.get("refund_id"), "Youzan refund_id"),
        platform_order_id=id_text(raw.get("tid"), "Youzan refund tid"),
        refund_type=DEMANDS[demand],
        raw_type=str(demand),
        raw_status=text(raw["status"]),
        amount=amount,
        reason=text(raw.get("reason_desc") or raw.get("reason")),
        created_at=beijing_time(raw.get("created")),
        platform_modified_at=beijing_time(raw.get("modified") or raw.get("update_time")),
        phase=PHASES.get(int(raw.get("phase") or 0), ""),
        return_tracking_number=text(raw.get("return_tracking_number")),
        lines=lines,
        platform_facts={"version": text(raw.get("version"))},
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        page = 1
        while True:
            data = client._call(
                *SEARCH_API,
                {
                    "update_time_start": format_beijing(lower),
                    "update_time_end": format_beijing(upper),
                    "page_no": page,
                    "page_size": PAGE_SIZE,
                },
            )
            rows = extract_refunds(data)
            fresh = unseen(rows, seen, key=lambda row: f"{row.get('refund_id')}:{row.get('modified')}")
            if fresh:
                yield fresh
            if page * PAGE_SIZE >= int(data.get("total") or 0) or not rows:
                break
            page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    return extract_refunds(client._call(*DETAIL_API, {"refund_id": refund_id}))[0]


def send_decision(client, decision: RefundDecision) -> dict:
    params = {"refund_id": decision.platform_refund_id, "version": text(decision.extra.get("version"))}
    if decision.approve:
        data = client._call(*AGREE_API, params)
    else:
        data = client._call(*REFUSE_API, params | {"remark": decision.reason})
    if data.get("is_success") is False:
        raise PlatformError(f"Youzan refused the decision: {str(data)[:300]}", code="decision_refused")
    return data
