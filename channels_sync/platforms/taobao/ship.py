"""Taobao: `taobao.logistics.offline.send` (tid, out_sid, company_code) for self-arranged carriers.

Answer: `logistics_offline_send_response.shipping.is_success`.
"""

from channels_sync.platforms.base import PlatformError
from channels_sync.shipping import ShipRequest, carrier_code_for

SHIP_API = "taobao.logistics.offline.send"
SHIP_RESPONSE = "logistics_offline_send_response"
# TOP's logistics company codes are the cp_codes themselves (taobao.logistics.companies.get).
COMPANY_CODES = {code: code for code in ("YTO", "ZTO", "STO", "YUNDA", "SF", "EMS", "JD", "POSTB", "DBKD")}
COMPANY_CODES["YD"] = "YUNDA"


def ship(client, request: ShipRequest) -> dict:
    company = carrier_code_for(COMPANY_CODES, request, "Taobao", client.auth.extra)
    body = client.call(
        SHIP_API, tid=request.platform_order_id, out_sid=request.tracking_number, company_code=company
    )
    shipping = (body.get(SHIP_RESPONSE) or {}).get("shipping") or {}
    if not shipping.get("is_success"):
        raise PlatformError(f"Taobao {SHIP_API} did not succeed: {body}", code="ship_refused")
    return shipping
