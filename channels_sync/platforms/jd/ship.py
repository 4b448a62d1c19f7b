"""JD: `jingdong.pop.order.shipment` {orderId, logiCoprId, logiNo}; JD's own carrier ids (unverified table,
overridable per shop by the `carrier_codes` credential).

Answer: `jingdong_pop_order_shipment_responce.sopjosshipment_result{success, chineseErrCode, englishErrCode}`.
"""

from channels_sync.platforms.base import PlatformError
from channels_sync.shipping import ShipRequest, carrier_code_for

SHIP_API = "jingdong.pop.order.shipment"
SHIP_RESPONSE = "jingdong_pop_order_shipment_responce"
SHIP_RESULT = "sopjosshipment_result"
# Unverified: JD logistics company ids as third-party integrations use them.
COMPANY_IDS = {"YTO": "463", "ZTO": "1499", "STO": "470", "YD": "1327", "YUNDA": "1327", "SF": "467",
               "EMS": "465", "JD": "2087"}  # fmt: skip


def ship(client, request: ShipRequest) -> dict:
    company = carrier_code_for(COMPANY_IDS, request, "JD", client.auth.extra)
    body = client.call(
        SHIP_API,
        {"orderId": request.platform_order_id, "logiCoprId": company, "logiNo": request.tracking_number},
    )
    result = (body.get(SHIP_RESPONSE) or {}).get(SHIP_RESULT) or {}
    if not result.get("success"):
        raise PlatformError(
            f"JD {SHIP_API} refused: {result.get('chineseErrCode') or result.get('englishErrCode') or body}",
            code=str(result.get("englishErrCode") or "ship_refused"),
        )
    return result
