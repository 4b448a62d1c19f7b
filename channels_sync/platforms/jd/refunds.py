"""JD cancel-refunds (jingdong.pop.afs.soa.refundapply.*): applyRefundSum in fen, Beijing times.

Returns and after-sales services live in JD's separate asc APIs and are not read here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.refunds import RefundDecision, readable
from channels_sync.platforms.util import (
    beijing_time,
    fen,
    format_beijing,
    id_text,
    text,
    unseen,
    window_slices,
)
from orderhub.normalized_refund import NormalizedRefund

LIST_API = "jingdong.pop.afs.soa.refundapply.queryPageList"
LIST_RESPONSE = "jingdong_pop_afs_soa_refundapply_queryPageList_responce"
DETAIL_API = "jingdong.pop.afs.soa.refundapply.queryById"
DETAIL_RESPONSE = "jingdong_pop_afs_soa_refundapply_queryById_responce"
REPLY_API = "jingdong.pop.afs.soa.refundapply.replyRefund"  # status 1 approve / 2 reject (unverified)
REPLY_RESPONSE = "jingdong_pop_afs_soa_refundapply_replyRefund_responce"
WINDOW_LIMIT = timedelta(days=1)  # unverified; keeps each page set small
PAGE_SIZE = 50


def _query_result(body, root: str) -> dict:
    if not isinstance(body, dict) or root not in body:
        raise PayloadError(f"not a JD {root} response")
    result = (body[root] or {}).get("queryResult")
    if not isinstance(result, dict):
        raise PayloadError(f"JD {root} without queryResult")
    if result.get("success") is False:
        raise PlatformError(f"JD refund query failed: {result.get('resultDescribe')}", code="query_failed")
    return result


def extract_refunds(body) -> list[dict]:
    for root in (LIST_RESPONSE, DETAIL_RESPONSE):
        if isinstance(body, dict) and root in body:
            rows = _query_result(body, root).get("result") or []
            rows = rows if isinstance(rows, list) else [rows]
            return rows
    raise PayloadError("not a JD refundapply response")


@readable("JD refund application")
def normalize_refund(raw: dict) -> NormalizedRefund:
    applied, checked = beijing_time(raw.get("applyTime")), beijing_time(raw.get("checkTime") or None)
    return NormalizedRefund(
        platform="jd",
        platform_refund_id=id_text(raw.get("id"), "JD refund id"),
        platform_order_id=id_text(raw.get("orderId"), "JD refund orderId"),
        refund_type="refund_only",  # a cancel-refund: the order is stopped before it ships
        raw_type="refundapply",
        raw_status=text(raw["status"]),
        amount=fen(raw.get("applyRefundSum")),
        reason=text(raw.get("reason")),
        created_at=applied,
        platform_modified_at=max(filter(None, (applied, checked)), default=None),
        phase="before_shipment",
        buyer_id=text(raw.get("buyerId")),
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        # A case changes when it is applied for and when it is checked: read both windows.
        for prefix in ("applyTime", "checkTime"):
            page = 1
            while True:
                body = client.call(
                    LIST_API,
                    {
                        f"{prefix}Start": format_beijing(lower),
                        f"{prefix}End": format_beijing(upper),
                        "pageIndex": page,
                        "pageSize": PAGE_SIZE,
                    },
                )
                rows = extract_refunds(body)
                fresh = unseen(rows, seen, key=lambda row: f"{row.get('id')}:{row.get('status')}")
                if fresh:
                    yield fresh
                total = int(_query_result(body, LIST_RESPONSE).get("totalCount") or 0)
                if page * PAGE_SIZE >= total or not rows:
                    break
                page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    rows = extract_refunds(client.call(DETAIL_API, {"id": int(refund_id)}))
    if not rows:
        raise PlatformError(f"JD refund {refund_id} not found", code="not_found")
    return rows[0]


def send_decision(client, decision: RefundDecision) -> dict:
    body = client.call(
        REPLY_API,
        {
            "id": int(decision.platform_refund_id),
            "status": 1 if decision.approve else 2,
            "checkUserName": "orderhub",
            "remark": decision.reason or "同意",
        },
    )
    result = (body.get(REPLY_RESPONSE) or {}).get("replyResult")
    if not isinstance(result, dict) or result.get("success") is not True:
        raise PlatformError(f"JD refused the decision: {str(body)[:300]}", code="decision_refused")
    return result
