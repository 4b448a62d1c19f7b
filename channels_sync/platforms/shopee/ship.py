"""Shopee: POST /api/v2/logistics/ship_order {order_sn, non_integrated{tracking_number}} for a channel the
seller ships with its own carrier (pickup / dropoff are for Shopee-integrated channels).

Answer: {error: "", message: "", request_id} (checked by the client's unwrap).
"""

from channels_sync.platforms.http import with_retries
from channels_sync.shipping import ShipRequest

SHIP_PATH = "/api/v2/logistics/ship_order"


def ship(client, request: ShipRequest) -> dict:
    body = {
        "order_sn": request.platform_order_id,
        "non_integrated": {"tracking_number": request.tracking_number},
    }
    return with_retries(lambda: client._send(SHIP_PATH, {}, body), what=f"shopee {SHIP_PATH}")
