"""Douyin shop (Doudian) after-sales: /afterSale/List, /afterSale/Detail, /afterSale/operate.

All amounts in fen, times unix seconds. aftersale_status is the standard status code; refund_status
(1 awaiting, 2 refunding, 3 succeeded, 4 failed, 5 clawed back) is kept in the raw payload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.refunds import RefundDecision, dig, readable
from channels_sync.platforms.util import fen, id_text, text, unix_time, unseen, window_slices
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine

LIST_METHOD = "afterSale.List"
DETAIL_METHOD = "afterSale.Detail"
OPERATE_METHOD = "afterSale.operate"
# afterSale/operate `type` (unverified codes, kept here in one place): agree / refuse a refund-only case,
# agree / refuse a return request.
OPERATE_TYPES = {("refund_only", True): 101, ("refund_only", False): 102}
OPERATE_RETURN = {True: 111, False: 112}
WINDOW_LIMIT = timedelta(days=1)  # unverified
PAGE_SIZE = 100
TYPES = {
    0: "return_and_refund",
    1: "refund_only",  # shipped, refund only
    2: "refund_only",  # not shipped, refund only
    3: "exchange",
    6: "refund_only",  # price protection
    7: "resend",
    8: "exchange",  # repair
}


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if isinstance(body, dict) and "items" in body:
        items = body["items"] or []
        if not isinstance(items, list):
            raise PayloadError("Doudian afterSale items is not a list")
        return items
    if isinstance(body, dict) and "process_info" in body:  # afterSale/Detail
        info = body["process_info"]
        return [
            {
                "aftersale_info": info.get("after_sale_info"),
                "order_info": info.get("order_info") or {},
                "text_part": info.get("text_part") or {},
            }
        ]
    if isinstance(body, dict) and "aftersale_info" in body:
        return [body]
    raise PayloadError("not a Doudian afterSale response")


@readable("Doudian after-sale case")
def normalize_refund(raw: dict) -> NormalizedRefund:
    info = dig(raw, "aftersale_info", what="Doudian after-sale")
    raw_type = int(info.get("aftersale_type"))
    if raw_type not in TYPES:
        raise PayloadError(f"unknown Doudian aftersale_type {raw_type!r}")
    order_info = raw.get("order_info") or {}
    lines = tuple(
        NormalizedRefundLine(
            platform_line_id=id_text(item.get("sku_order_id"), "Doudian sku_order_id", required=False),
            platform_sku_id=id_text(item.get("sku_id"), "Doudian sku_id", required=False),
            outer_sku_code=text(item.get("shop_sku_code")),
            quantity=int(item.get("aftersale_item_num") or item.get("item_num") or 0),
            amount=fen(item.get("pay_amount")),
        )
        for item in order_info.get("related_order_info") or []
    )
    return NormalizedRefund(
        platform="douyin",
        platform_refund_id=id_text(info.get("aftersale_id"), "Doudian aftersale_id"),
        platform_order_id=id_text(
            order_info.get("shop_order_id") or info.get("related_id"), "Doudian order id"
        ),
        refund_type=TYPES[raw_type],
        raw_type=str(raw_type),
        raw_status=text(info["aftersale_status"]),
        amount=fen(info.get("refund_amount")) + fen(info.get("refund_post_amount")),
        reason=text((raw.get("text_part") or {}).get("reason_text")),
        created_at=unix_time(info.get("apply_time") or info.get("create_time")),
        platform_modified_at=unix_time(info.get("update_time")),
        phase="before_shipment" if raw_type == 2 else "after_shipment" if raw_type in (0, 1) else "",
        return_tracking_number=text(info.get("return_logistics_code")),
        disputed=bool(info.get("arbitrate_status")),
        lines=lines,
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        page = 0
        while True:
            data = client.call(
                LIST_METHOD,
                {
                    "update_start_time": int(lower.timestamp()),
                    "update_end_time": int(upper.timestamp()),
                    "page": page,
                    "size": PAGE_SIZE,
                },
            )
            key = lambda item: f"{(item.get('aftersale_info') or {}).get('aftersale_id')}"  # noqa: E731
            fresh = unseen(extract_refunds(data), seen, key=key)
            if fresh:
                yield fresh
            if not data.get("has_more"):
                break
            page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    return extract_refunds(client.call(DETAIL_METHOD, {"after_sale_id": refund_id}))[0]


def send_decision(client, decision: RefundDecision) -> dict:
    if decision.refund_type == "refund_only":
        operate = OPERATE_TYPES[("refund_only", decision.approve)]
    else:
        operate = OPERATE_RETURN[decision.approve]
    item = {"aftersale_id": decision.platform_refund_id}
    if not decision.approve:
        item |= {"reason": decision.reason, "remark": decision.reason}
    data = client.call(OPERATE_METHOD, {"type": operate, "items": [item]})
    results = data.get("items") or []
    if any(str(result.get("status_code", 0)) != "0" for result in results if isinstance(result, dict)):
        raise PlatformError(f"Doudian refused the decision: {str(data)[:300]}", code="decision_refused")
    return data
