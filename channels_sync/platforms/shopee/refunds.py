"""Shopee returns: GET /api/v2/returns/get_return_list (≤15-day windows), get_return_detail, and the
seller's confirm (accept the return and refund) or dispute. Amounts are floats in local currency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.refunds import RefundDecision, readable
from channels_sync.platforms.util import id_text, text, unix_time, unseen, window_slices, yuan
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine

LIST_PATH = "/api/v2/returns/get_return_list"
DETAIL_PATH = "/api/v2/returns/get_return_detail"
CONFIRM_PATH = "/api/v2/returns/confirm"
DISPUTE_PATH = "/api/v2/returns/dispute"
WINDOW_LIMIT = timedelta(days=15)
PAGE_SIZE = 100


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and isinstance(body.get("response"), dict):
        body = body["response"]
    if isinstance(body, dict) and "return" in body:
        rows = body["return"] or []
        if not isinstance(rows, list):
            raise PayloadError("Shopee return list is not a list")
        return rows
    if isinstance(body, dict) and "return_sn" in body:
        return [body]
    raise PayloadError("not a Shopee returns response")


@readable("Shopee return")
def normalize_refund(raw: dict) -> NormalizedRefund:
    needs_return = bool(raw.get("needs_logistics"))
    lines = tuple(
        NormalizedRefundLine(
            platform_line_id=f"{item.get('item_id')}:{item.get('model_id')}",
            platform_sku_id=text(item.get("model_id") or item.get("item_id")),
            outer_sku_code=text(item.get("variation_sku") or item.get("item_sku")),
            quantity=int(item.get("amount") or 0),
            amount=yuan(item.get("refund_amount", item.get("item_price"))),
        )
        for item in raw.get("item") or []
    )
    return NormalizedRefund(
        platform="shopee",
        platform_refund_id=id_text(raw.get("return_sn"), "Shopee return_sn"),
        platform_order_id=id_text(raw.get("order_sn"), "Shopee return order_sn"),
        refund_type="return_and_refund" if needs_return else "refund_only",
        raw_type=text(raw.get("return_refund_type")),
        raw_status=text(raw["status"]),
        amount=yuan(raw.get("refund_amount")),
        currency=text(raw.get("currency")) or "CNY",
        reason=text(raw.get("text_reason") or raw.get("reason")),
        created_at=unix_time(raw.get("create_time")),
        platform_modified_at=unix_time(raw.get("update_time")),
        phase="after_shipment",
        buyer_id=text((raw.get("user") or {}).get("username")),
        return_tracking_number=text(raw.get("tracking_number")),
        disputed=raw.get("status") in ("JUDGING", "SELLER_DISPUTE"),
        lines=lines,
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        page = 0
        while True:
            response = client._get(
                LIST_PATH,
                {
                    "page_no": page,
                    "page_size": PAGE_SIZE,
                    "update_time_from": int(lower.timestamp()),
                    "update_time_to": int(upper.timestamp()),
                },
            )
            fresh = unseen(
                extract_refunds(response),
                seen,
                key=lambda row: f"{row.get('return_sn')}:{row.get('update_time')}",
            )
            if fresh:
                yield fresh
            if not response.get("more"):
                break
            page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    return extract_refunds(client._get(DETAIL_PATH, {"return_sn": refund_id}))[0]


def send_decision(client, decision: RefundDecision) -> dict:
    if decision.approve:
        return client._send(CONFIRM_PATH, {}, {"return_sn": decision.platform_refund_id})
    return client._send(
        DISPUTE_PATH,
        {},
        {
            "return_sn": decision.platform_refund_id,
            "email": decision.extra.get("seller_email", ""),
            "dispute_reason": 1,
            "dispute_text_reason": decision.reason,
        },
    )
