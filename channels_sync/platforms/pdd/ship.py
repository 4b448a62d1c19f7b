"""PDD: `pdd.logistics.online.send` {order_sn, logistics_id, tracking_number}; logistics_id is PDD's own
numeric company id (pdd.logistics.companies.get; the table is unverified and overridable per shop).

Answer: `logistics_online_send_response.is_success`.
"""

from channels_sync.platforms.base import PlatformError
from channels_sync.shipping import ShipRequest, carrier_code_for

SHIP_API = "pdd.logistics.online.send"
SHIP_ROOT = "logistics_online_send_response"
LOGISTICS_IDS = {"YTO": "85", "ZTO": "115", "STO": "1", "YD": "121", "YUNDA": "121", "SF": "44", "EMS": "118",
                 "JD": "120"}  # fmt: skip


def ship(client, request: ShipRequest) -> dict:
    logistics_id = carrier_code_for(LOGISTICS_IDS, request, "PDD", client.auth.extra)
    answer = client.call(
        SHIP_API,
        SHIP_ROOT,
        order_sn=request.platform_order_id,
        logistics_id=logistics_id,
        tracking_number=request.tracking_number,
    )
    if not answer.get("is_success"):
        raise PlatformError(f"PDD {SHIP_API} did not succeed: {answer}", code="ship_refused")
    return answer
