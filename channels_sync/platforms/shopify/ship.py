"""Shopify: fulfillments through fulfillment orders (the order-level endpoint is gone since 2023-01).

GET /orders/{id}/fulfillment_orders.json, then POST /fulfillments.json {fulfillment:
{line_items_by_fulfillment_order: [{fulfillment_order_id}], tracking_info: {number, company},
notify_customer}} for the open ones. Answer: {fulfillment: {id, status, tracking_number, ...}}.
"""

from channels_sync.platforms.base import PlatformError
from channels_sync.platforms.http import request as http_request
from channels_sync.platforms.http import with_retries
from channels_sync.platforms.shopify.client import ACCESS_TOKEN_HEADER, raise_for_status
from channels_sync.shipping import ShipRequest

FULFILLMENT_ORDERS_PATH = "/orders/{order_id}/fulfillment_orders.json"
FULFILLMENTS_PATH = "/fulfillments.json"
OPEN_STATUSES = {"open", "in_progress"}


def ship(client, request: ShipRequest) -> dict:
    path = FULFILLMENT_ORDERS_PATH.format(order_id=request.platform_order_id)
    fulfillment_orders = client.get(path).json().get("fulfillment_orders") or []
    open_ids = [fo["id"] for fo in fulfillment_orders if fo.get("status") in OPEN_STATUSES]
    if not open_ids:
        raise PlatformError(
            f"Shopify order {request.platform_order_id} has no open fulfillment order",
            code="nothing_to_fulfil",
        )
    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo_id} for fo_id in open_ids],
            "tracking_info": {"number": request.tracking_number, "company": request.carrier_name},
            "notify_customer": True,
        }
    }

    def once() -> dict:
        response = http_request(
            client.http,
            "POST",
            client.api_url + FULFILLMENTS_PATH,
            json=body,
            headers={ACCESS_TOKEN_HEADER: client.auth.access_token},
        )
        raise_for_status(response, FULFILLMENTS_PATH)
        return response.json().get("fulfillment") or {}

    return with_retries(once, what=f"shopify {FULFILLMENTS_PATH}")
