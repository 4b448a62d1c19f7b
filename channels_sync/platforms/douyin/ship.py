"""Doudian: `order.logisticsAdd` {order_id, company_code, logistics_code} (company codes as
`order.getServiceList`/logistics company list give them: pinyin names).

A success is the envelope's code 10000 (checked by the client); `data` is empty.
"""

from channels_sync.shipping import ShipRequest, carrier_code_for

SHIP_METHOD = "order.logisticsAdd"
COMPANY_CODES = {"YTO": "yuantong", "ZTO": "zhongtong", "STO": "shentong", "YD": "yunda", "YUNDA": "yunda",
                 "SF": "shunfeng", "EMS": "ems", "JD": "jd"}  # fmt: skip


def ship(client, request: ShipRequest) -> dict:
    company = carrier_code_for(COMPANY_CODES, request, "Doudian", client.auth.extra)
    return (
        client.call(
            SHIP_METHOD,
            {
                "order_id": request.platform_order_id,
                "company_code": company,
                "logistics_code": request.tracking_number,
            },
        )
        or {}
    )
