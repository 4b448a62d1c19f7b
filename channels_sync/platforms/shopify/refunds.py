"""Shopify refunds: the `refunds/create` webhook body, GET /orders/{id}/refunds/{refund_id}.json, and for
the poll the `refunds[]` of orders updated in the window. A Shopify refund is money already sent, so its
raw status is its refund transactions' status (`transaction_success|pending|failure`); returns awaiting
a decision are approved / declined through the GraphQL Admin API (returnApproveRequest /
returnDeclineRequest)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.http import json_body, request, with_retries
from channels_sync.platforms.refunds import RefundDecision, readable
from channels_sync.platforms.shopify.client import ACCESS_TOKEN_HEADER, raise_for_status
from channels_sync.platforms.shopify.mapping import plain_id, shopify_id
from channels_sync.platforms.util import iso_time, text, unseen, yuan
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine

WINDOW_LIMIT = timedelta(days=30)
GRAPHQL_PATH = "/graphql.json"
APPROVE_MUTATION = "mutation($id: ID!) { returnApproveRequest(input: {id: $id}) { userErrors { message } } }"
DECLINE_MUTATION = (
    "mutation($id: ID!, $note: String) { returnDeclineRequest(input: {id: $id, declineReason: OTHER, "
    "declineNote: $note}) { userErrors { message } } }"
)
# Transaction status order: the case is as far as its least advanced refund transaction.
STATUS_ORDER = ("pending", "failure", "error", "success")


def _id(value, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise PayloadError(f"Shopify {what} must be an integer or a string, got {value!r}")
    return str(value)


def extract_refunds(body) -> list[dict]:
    if isinstance(body, dict) and isinstance(body.get("refund"), dict):
        return [body["refund"]]
    if isinstance(body, dict) and isinstance(body.get("refunds"), list):
        return body["refunds"]
    if isinstance(body, dict) and "refund_line_items" in body and "order_id" in body:
        return [body]
    raise PayloadError("not a Shopify refund body")


def _status(transactions: list[dict]) -> str:
    statuses = [text(t.get("status")) for t in transactions if t.get("kind") == "refund"]
    if not statuses:
        return "no_transaction"
    unknown = [status for status in statuses if status not in STATUS_ORDER]
    status = unknown[0] if unknown else min(statuses, key=STATUS_ORDER.index)
    return f"transaction_{status}"


@readable("Shopify refund")
def normalize_refund(raw: dict) -> NormalizedRefund:
    transactions = [t for t in raw.get("transactions") or [] if isinstance(t, dict)]
    refunds = [t for t in transactions if t.get("kind") == "refund"]
    restocked = raw.get("restock") is True or any(
        item.get("restock_type") == "return" for item in raw.get("refund_line_items") or []
    )
    lines = tuple(
        NormalizedRefundLine(
            platform_line_id=_id(item.get("line_item_id"), "refund line_item_id"),
            platform_sku_id=text((item.get("line_item") or {}).get("variant_id")),
            outer_sku_code=text((item.get("line_item") or {}).get("sku")),
            quantity=int(item.get("quantity") or 0),
            amount=yuan(item.get("subtotal", (item.get("line_item") or {}).get("price"))),
        )
        for item in raw.get("refund_line_items") or []
    )
    moments = [iso_time(raw.get("created_at"))] + [iso_time(t.get("processed_at")) for t in refunds]
    return NormalizedRefund(
        platform="shopify",
        platform_refund_id=shopify_id(raw, "refund id"),
        platform_order_id=plain_id(raw.get("order_id"), "refund order_id"),
        refund_type="return_and_refund" if restocked else "refund_only",
        raw_type="restock" if restocked else "",
        raw_status=_status(transactions),
        amount=sum((yuan(t.get("amount")) for t in refunds), yuan(0)),
        currency=text(refunds[0].get("currency")) if refunds else "USD",
        reason=text(raw.get("note")),
        created_at=iso_time(raw.get("created_at")),
        platform_modified_at=max(filter(None, moments), default=None),
        phase="after_shipment" if restocked else "",
        lines=lines,
    )


def fetch_refunds(client, start: datetime, end: datetime) -> Iterator[list[dict]]:
    """Shopify lists refunds per order: the orders updated in the window carry their refunds."""
    seen: set[str] = set()
    for orders in client.fetch_orders(start, end):
        refunds = [
            {**refund, "order_id": refund.get("order_id") or order.get("id")}
            for order in orders
            for refund in order.get("refunds") or []
            if isinstance(refund, dict)
        ]
        fresh = unseen(refunds, seen, key=lambda refund: text(refund.get("id")))
        if fresh:
            yield fresh


def fetch_refund(client, refund_id: str, order_id: str = "") -> dict:
    if not order_id:
        raise PlatformError(
            "a Shopify refund is read through its order: order id missing", code="bad_request"
        )
    return extract_refunds(client.get(f"/orders/{order_id}/refunds/{refund_id}.json").json())[0]


def send_decision(client, decision: RefundDecision) -> dict:
    return_id = decision.extra.get("return_id")
    if not return_id:
        raise PlatformError(
            "a Shopify refund is issued by the merchant; only a return request can be approved or declined",
            code="nothing_to_decide",
        )
    query = APPROVE_MUTATION if decision.approve else DECLINE_MUTATION
    variables = {"id": return_id} | ({} if decision.approve else {"note": decision.reason})

    def once() -> dict:
        response = request(
            client.http,
            "POST",
            client.api_url + GRAPHQL_PATH,
            json={"query": query, "variables": variables},
            headers={ACCESS_TOKEN_HEADER: client.auth.access_token},
        )
        raise_for_status(response, GRAPHQL_PATH)
        return json_body(response)

    body = with_retries(once, what="shopify return decision")
    errors = body.get("errors") or [
        error
        for payload in (body.get("data") or {}).values()
        for error in (payload or {}).get("userErrors") or []
    ]
    if errors:
        raise PlatformError(f"Shopify refused the decision: {errors}", code="decision_refused")
    return body
