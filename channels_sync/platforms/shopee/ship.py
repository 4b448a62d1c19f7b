"""Shopee: POST /api/v2/logistics/ship_order {order_sn, non_integrated{tracking_number}} for a channel the
seller ships with its own carrier (pickup / dropoff are for Shopee-integrated channels).

Answer: {request_id, error: "", message: ""} — no `response` object, so it is checked here rather than by
the client's unwrap (the same signing and error mapping).
"""

import time

from channels_sync.platforms.http import json_body, with_retries
from channels_sync.platforms.http import request as http_request
from channels_sync.platforms.shopee.client import sign, unwrap
from channels_sync.shipping import ShipRequest

SHIP_PATH = "/api/v2/logistics/ship_order"


def ship(client, request: ShipRequest) -> dict:
    body = {
        "order_sn": request.platform_order_id,
        "non_integrated": {"tracking_number": request.tracking_number},
    }
    auth = client.auth

    def once() -> dict:
        timestamp = int(time.time())
        common = {
            "partner_id": auth.app_key,
            "timestamp": timestamp,
            "access_token": auth.access_token,
            "shop_id": auth.platform_shop_id,
            "sign": sign(
                auth.app_secret, auth.app_key, SHIP_PATH, timestamp, auth.access_token, auth.platform_shop_id
            ),
        }
        answer = json_body(
            http_request(client.http, "POST", client.base_url + SHIP_PATH, params=common, json=body)
        )
        if isinstance(answer, dict):
            unwrap({**answer, "response": answer.get("response") or {}})  # raises the typed error, if any
        else:
            unwrap(answer)
        return answer

    return with_retries(once, what=f"shopee {SHIP_PATH}")
