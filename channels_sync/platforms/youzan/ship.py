"""Youzan: `youzan.logistics.online.confirm` 3.0.0 {tid, out_stype, out_sid, is_no_express}; out_stype is
Youzan's express company id (unverified table, overridable per shop).

Answer (unwrapped by the client): `{"is_success": true}`.
"""

from channels_sync.platforms.base import PlatformError
from channels_sync.shipping import ShipRequest, carrier_code_for

SHIP_API = ("youzan.logistics.online.confirm", "3.0.0")
EXPRESS_IDS = {
    "SF": "7",
    "YTO": "2",
    "ZTO": "3",
    "STO": "1",
    "YD": "4",
    "YUNDA": "4",
    "EMS": "11",
    "JD": "138",
}


def ship(client, request: ShipRequest) -> dict:
    express = carrier_code_for(EXPRESS_IDS, request, "Youzan", client.auth.extra)
    data = client._call(
        *SHIP_API,
        {
            "tid": request.platform_order_id,
            "out_stype": int(express),
            "out_sid": request.tracking_number,
            "is_no_express": 0,
        },
    )
    if isinstance(data, dict) and data.get("is_success") is False:
        raise PlatformError(f"Youzan {SHIP_API[0]} did not succeed: {data}", code="ship_refused")
    return data if isinstance(data, dict) else {"data": data}
