"""Lazada: POST /order/rts {delivery_type=dropship, order_item_ids=[...], shipment_provider,
tracking_number} marks the items ready to ship with the seller's own carrier and tracking number.

Answer: {code: "0", data: {order_items: [...]}} (checked by the client).
"""

import json

from channels_sync.platforms.base import PlatformError
from channels_sync.shipping import ShipRequest

RTS_PATH = "/order/rts"


def ship(client, request: ShipRequest) -> dict:
    if not request.platform_line_ids:
        raise PlatformError("Lazada ships order items: the order has no platform line ids", code="no_items")
    item_ids = [int(line_id) if line_id.isdigit() else line_id for line_id in request.platform_line_ids]
    return client.call(
        RTS_PATH,
        {
            "delivery_type": "dropship",
            "order_item_ids": json.dumps(item_ids),
            "shipment_provider": request.carrier_name or request.carrier_code,
            "tracking_number": request.tracking_number,
        },
        post=True,
    )
