"""Lazada reverse orders: /reverse/getreverseordersforseller (list, ms windows),
/order/reverse/return/detail/list (detail) and /order/reverse/return/update (agree / refuse).
refund_amount is in cents (VN: whole dong).

One reverse order is one refund; its lines carry the statuses. When they differ, the least advanced
line names the case (a case is not refunded until every line is)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.refunds import RefundDecision, readable
from channels_sync.platforms.util import fen, id_text, text, unix_time, unseen, window_slices
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine

LIST_PATH = "/reverse/getreverseordersforseller"
DETAIL_PATH = "/order/reverse/return/detail/list"
UPDATE_PATH = "/order/reverse/return/update"  # action AGREE_RETURN / REFUSE_RETURN (unverified names)
WINDOW_LIMIT = timedelta(days=7)  # unverified
PAGE_SIZE = 100
TYPES = {"RETURN": "return_and_refund", "ONLY_REFUND": "refund_only", "CANCEL": "refund_only"}
# Least advanced first: the case shows the earliest state any line is still in.
PROGRESS = (
    "REQUEST_INITIATE", "REFUND_PENDING", "REQUEST_REJECT", "REFUND_REJECTED",
    "REQUEST_CANCEL", "CANCEL_SUCCESS", "REFUND_SUCCESS",
)  # fmt: skip


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        items = body["result"].get("items") or []
        if not isinstance(items, list):
            raise PayloadError("Lazada reverse items is not a list")
        return items
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "reverse_order_id" in body["data"]:
        return [body["data"]]
    if isinstance(body, dict) and "reverse_order_id" in body and "reverse_order_lines" in body:
        return [body]
    raise PayloadError("not a Lazada reverse order response")


def _case_status(statuses: list[str]) -> str:
    known = [status for status in statuses if status in PROGRESS]
    if len(known) != len(statuses):  # an unknown status names the case: never hidden behind a known one
        return next(status for status in statuses if status not in PROGRESS)
    return min(known, key=PROGRESS.index)


@readable("Lazada reverse order")
def normalize_refund(raw: dict) -> NormalizedRefund:
    request_type = text(raw.get("request_type"))
    if request_type not in TYPES:
        raise PayloadError(f"unknown Lazada request_type {request_type!r}")
    lines_raw = raw.get("reverse_order_lines") or []
    if not lines_raw:
        raise PayloadError("Lazada reverse order without reverse_order_lines")
    lines = tuple(
        NormalizedRefundLine(
            platform_line_id=id_text(line.get("trade_order_line_id"), "Lazada trade_order_line_id"),
            platform_sku_id=text(line.get("platform_sku_id")),
            outer_sku_code=text(line.get("seller_sku_id")),
            quantity=1,  # Lazada lists one line per unit
            amount=fen(line.get("refund_amount")),
        )
        for line in lines_raw
    )
    modified = [
        unix_time(line.get("return_order_line_gmt_modified"), milliseconds=True) for line in lines_raw
    ]
    created = [unix_time(line.get("return_order_line_gmt_create"), milliseconds=True) for line in lines_raw]
    return NormalizedRefund(
        platform="lazada",
        platform_refund_id=id_text(raw.get("reverse_order_id"), "Lazada reverse_order_id"),
        platform_order_id=id_text(raw.get("trade_order_id"), "Lazada trade_order_id"),
        refund_type=TYPES[request_type],
        raw_type=request_type,
        raw_status=_case_status([text(line.get("reverse_status")) for line in lines_raw]),
        amount=sum((line.amount for line in lines), fen(0)),
        reason=text(lines_raw[0].get("reason_text")),
        created_at=min(filter(None, created), default=None),
        platform_modified_at=max(filter(None, modified), default=None),
        phase="before_shipment" if request_type == "CANCEL" else "after_shipment",
        buyer_id=text((lines_raw[0].get("buyer") or {}).get("buyer_id")),
        return_tracking_number=text(lines_raw[0].get("tracking_number")),
        disputed=any(line.get("is_dispute") for line in lines_raw),
        lines=lines,
        platform_facts={"line_ids": [text(line.get("reverse_order_line_id")) for line in lines_raw]},
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        page = 1
        while True:
            body = client.call(
                LIST_PATH,
                {
                    "page_no": str(page),
                    "page_size": str(PAGE_SIZE),
                    "reverse_order_line_modified_start": str(int(lower.timestamp() * 1000)),
                    "reverse_order_line_modified_end": str(int(upper.timestamp() * 1000)),
                },
            )
            rows = extract_refunds(body)
            fresh = unseen(rows, seen, key=lambda row: text(row.get("reverse_order_id")))
            if fresh:
                yield fresh
            if page * PAGE_SIZE >= int(body["result"].get("total") or 0) or not rows:
                break
            page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    return extract_refunds(client.call(DETAIL_PATH, {"reverse_order_id": refund_id}))[0]


def send_decision(client, decision: RefundDecision) -> dict:
    params = {
        "action": "AGREE_RETURN" if decision.approve else "REFUSE_RETURN",
        "reverse_order_id": decision.platform_refund_id,
        "reverse_order_item_ids": ",".join(decision.extra.get("line_ids") or []),
        "reason_text": decision.reason,
    }
    body = client.call(UPDATE_PATH, params, post=True)
    if isinstance(body.get("result"), dict) and body["result"].get("success") is False:
        raise PlatformError(f"Lazada refused the decision: {str(body)[:300]}", code="decision_refused")
    return body
