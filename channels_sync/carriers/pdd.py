"""PDD e-waybills (电子面单) through PDD's gateway (the PDD adapter's signing and errors).

`pdd.waybill.get` takes `param_waybill` (JSON) {wp_code, sender{name, mobile, phone, address{province,
city, district, town, detail}}, trade_order_info_dtos[{object_id, order_info{order_channels_type,
trade_order_list}, package_info{id, items[{count, name}]}, recipient{...}, template_url, user_id}]}
and answers `pdd_waybill_get_response.modules[{object_id, waybill_code, print_data}]`.
Cancel: `pdd.waybill.cancel(wp_code, waybill_code)`; update: `pdd.waybill.update(param_waybill_update)`.
"""

from __future__ import annotations

import json

from channels_sync.carriers.base import Address, CarrierError, WaybillIssued, WaybillRequest
from channels_sync.platforms.base import PlatformError
from channels_sync.platforms.pdd.client import Client as PddClient

GET_API = "pdd.waybill.get"
GET_ROOT = "pdd_waybill_get_response"
CANCEL_API = "pdd.waybill.cancel"
CANCEL_ROOT = "pdd_waybill_cancel_response"
UPDATE_API = "pdd.waybill.update"
UPDATE_ROOT = "pdd_waybill_update_response"
DEFAULT_TEMPLATE = "https://file-link.pinduoduo.com/yto_one"


def get_request(req: WaybillRequest) -> dict:
    return {
        "wp_code": req.cp_code,
        "need_encrypt": False,
        "sender": req.sender.as_cainiao(),
        "trade_order_info_dtos": [
            {
                "object_id": req.object_id,
                "order_info": {"order_channels_type": "PDD", "trade_order_list": list(req.trade_order_ids)},
                "package_info": {
                    "id": "1",
                    "items": [{"count": item.count, "name": item.name} for item in req.items],
                },
                "recipient": req.recipient.as_cainiao(),
                "template_url": req.template_url or DEFAULT_TEMPLATE,
                "user_id": req.user_id,
            }
        ],
    }


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _print_data(raw) -> dict:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except ValueError as exc:
        raise CarrierError("PDD print_data is not JSON", code="bad_response") from exc
    return parsed if isinstance(parsed, dict) else {"data": parsed}


def _call(client: PddClient, api: str, root: str, **business: str) -> dict:
    try:
        return client.call(api, root, **business)
    except PlatformError as exc:
        raise CarrierError(str(exc), code=exc.code, retryable=exc.retryable) from exc


class PddWaybills:
    provider = "pdd"

    def __init__(self, client: PddClient):
        self.client = client

    def issue(self, req: WaybillRequest) -> WaybillIssued:
        answer = _call(self.client, GET_API, GET_ROOT, param_waybill=_json(get_request(req)))
        found = next((m for m in answer.get("modules") or [] if m.get("object_id") == req.object_id), None)
        if not found or not found.get("waybill_code"):
            raise CarrierError(f"PDD answered without a waybill for {req.object_id}", code="bad_response")
        return WaybillIssued(
            object_id=req.object_id,
            waybill_code=str(found["waybill_code"]),
            print_data=_print_data(found.get("print_data")),
        )

    def cancel(self, *, cp_code: str, waybill_code: str) -> None:
        answer = _call(self.client, CANCEL_API, CANCEL_ROOT, wp_code=cp_code, waybill_code=waybill_code)
        if not answer.get("cancel_result"):
            raise CarrierError(f"PDD did not cancel waybill {waybill_code}", code="cancel_refused")

    def update(self, *, cp_code: str, waybill_code: str, recipient: Address) -> dict:
        request = {"wp_code": cp_code, "waybill_code": waybill_code, "recipient": recipient.as_cainiao()}
        answer = _call(self.client, UPDATE_API, UPDATE_ROOT, param_waybill_update=_json(request))
        if not answer.get("waybill_code"):
            raise CarrierError(f"PDD did not update waybill {waybill_code}", code="update_refused")
        return _print_data(answer.get("print_data"))
