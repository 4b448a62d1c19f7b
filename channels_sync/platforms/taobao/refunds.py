"""Taobao / Tmall refunds: taobao.refunds.receive.get (list), taobao.refund.get (detail), and the seller's
agree / refuse calls. Amounts are yuan strings, times Beijing-time strings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.refunds import RefundDecision, dig, readable
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

LIST_API = "taobao.refunds.receive.get"
LIST_RESPONSE = "refunds_receive_get_response"
DETAIL_API = "taobao.refund.get"
DETAIL_RESPONSE = "refund_get_response"
AGREE_API = "taobao.rp.refunds.agree"  # refund_infos "refund_id|amount in fen|refund_version|phase"
AGREE_RESPONSE = "rp_refunds_agree_response"
REFUSE_API = "taobao.rp.refund.refuse"
REFUSE_RESPONSE = "rp_refund_refuse_response"
WINDOW_LIMIT = timedelta(days=1)
PAGE_SIZE = 100
EXCHANGE_STATUSES = frozenset(
    {
        "WAIT_BUYER_CONFIRM_EXCHANGE_SELLER_SEND_GOODS",
        "EXCHANGE_TRANSFORM_TO_REFUND",
        "WAIT_SELLER_CONSIGN_GOODS",
    }
)
REFUND_FIELDS = (
    "refund_id,tid,oid,status,refund_fee,total_fee,good_status,has_good_return,refund_phase,dispute_type,"
    "reason,desc,created,modified,num,sku,outer_id,refund_version,sid,company_name,buyer_nick,buyer_open_uid"
)


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and LIST_RESPONSE in body:
        refunds = (dig(body, LIST_RESPONSE, what="Taobao refund list").get("refunds") or {}).get(
            "refund"
        ) or []
        if not isinstance(refunds, list):
            raise PayloadError("Taobao refunds.refund is not a list")
        return refunds
    if isinstance(body, dict) and DETAIL_RESPONSE in body:
        return [dig(body, DETAIL_RESPONSE, "refund", what="Taobao refund detail")]
    raise PayloadError("not a Taobao refund list or detail response")


@readable("Taobao refund")
def normalize_refund(raw: dict) -> NormalizedRefund:
    status = text(raw["status"])
    if status in EXCHANGE_STATUSES:
        refund_type = "exchange"
    elif raw.get("has_good_return") in (True, "true") or raw.get("dispute_type") == "REFUND_AND_RETURN":
        refund_type = "return_and_refund"
    else:
        refund_type = "refund_only"
    phase = {"onsale": "before_shipment", "aftersale": "after_shipment"}.get(
        text(raw.get("refund_phase")), ""
    )
    amount = yuan(raw.get("refund_fee"))
    quantity = int(raw.get("num") or 0)
    line = NormalizedRefundLine(
        platform_line_id=id_text(raw.get("oid"), "Taobao refund oid", required=False),
        platform_sku_id=text(raw.get("sku")).split("|", 1)[0],
        outer_sku_code=text(raw.get("outer_id")),
        quantity=quantity,
        amount=amount,
    )
    return NormalizedRefund(
        platform="taobao",
        platform_refund_id=id_text(raw.get("refund_id"), "Taobao refund_id"),
        platform_order_id=id_text(raw.get("tid"), "Taobao refund tid"),
        refund_type=refund_type,
        raw_type=text(raw.get("dispute_type")),
        raw_status=status,
        amount=amount,
        reason=text(raw.get("reason")),
        created_at=beijing_time(raw.get("created")),
        platform_modified_at=beijing_time(raw.get("modified")),
        phase=phase,
        buyer_id=text(raw.get("buyer_open_uid") or raw.get("buyer_nick")),
        return_tracking_number=text(raw.get("sid")),
        lines=(line,) if line.platform_line_id or quantity else (),
        platform_facts={
            "refund_version": text(raw.get("refund_version")),
            "refund_phase": text(raw.get("refund_phase")),
        },
    )


def refund_key(raw: dict) -> str:
    return id_text(raw.get("refund_id"), "Taobao refund_id")


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    seen: set[str] = set()
    for lower, upper in window_slices(start, end, WINDOW_LIMIT):
        page = 1
        while True:
            body = client.call(
                LIST_API,
                fields=REFUND_FIELDS,
                start_modified=format_beijing(lower),
                end_modified=format_beijing(upper),
                page_no=str(page),
                page_size=str(PAGE_SIZE),
                use_has_next="true",
            )
            fresh = unseen(extract_refunds(body), seen, key=refund_key)
            if fresh:
                yield fresh
            if not (body.get(LIST_RESPONSE) or {}).get("has_next"):
                break
            page += 1


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    return extract_refunds(client.call(DETAIL_API, fields=REFUND_FIELDS, refund_id=str(refund_id)))[0]


def send_decision(client, decision: RefundDecision) -> dict:
    phase = text(decision.extra.get("refund_phase")) or (
        "aftersale" if decision.extra.get("phase") == "after_shipment" else "onsale"
    )
    version = text(decision.extra.get("refund_version"))
    if decision.approve:
        fen = int((decision.amount * 100).quantize(Decimal("1")))
        info = f"{decision.platform_refund_id}|{fen}|{version}|{phase}"
        body = client.call(AGREE_API, refund_infos=info)
        result = body.get(AGREE_RESPONSE)
    else:
        body = client.call(
            REFUSE_API,
            refund_id=decision.platform_refund_id,
            refuse_message=decision.reason,
            refund_phase=phase,
            refund_version=version,
        )
        result = body.get(REFUSE_RESPONSE)
    if not isinstance(result, dict) or result.get("is_success") is False:
        raise PlatformError(f"Taobao refused the decision: {str(body)[:300]}", code="decision_refused")
    return result
