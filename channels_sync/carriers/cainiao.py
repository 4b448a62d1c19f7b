"""Cainiao cloud-print e-waybills through the TOP gateway (the Taobao adapter's signing and errors).

`cainiao.waybill.ii.get` takes one JSON parameter, `param_waybill_cloud_print_apply_new_request`
{cp_code, sender{...}, trade_order_info_dtos[{object_id, order_info{order_channels_type,
trade_order_list}, package_info{id, items[{count, name}], volume, weight}, recipient{...},
template_url, user_id}]} and answers `cainiao_waybill_ii_get_response.modules.waybill_cloud_print_response[
{object_id, waybill_code, print_data, parent_waybill_code}]`.
Cancel and update are `.ii.cancel` and `.ii.update`.
"""

from __future__ import annotations

import json

from channels_sync.carriers.base import Address, CarrierError, WaybillIssued, WaybillRequest
from channels_sync.platforms.base import PlatformError
from channels_sync.platforms.taobao.client import Client as TopClient

GET_API = "cainiao.waybill.ii.get"
GET_PARAM = "param_waybill_cloud_print_apply_new_request"
GET_RESPONSE = "cainiao_waybill_ii_get_response"
CANCEL_API = "cainiao.waybill.ii.cancel"
CANCEL_RESPONSE = "cainiao_waybill_ii_cancel_response"
UPDATE_API = "cainiao.waybill.ii.update"
UPDATE_PARAM = "param_waybill_cloud_print_update_request"
UPDATE_RESPONSE = "cainiao_waybill_ii_update_response"
DEFAULT_TEMPLATE = "http://cloudprint.cainiao.com/template/standard/101/524"


def get_request(req: WaybillRequest) -> dict:
    """The request object exactly as TOP takes it (serialised to JSON as one form parameter)."""
    return {
        "cp_code": req.cp_code,
        "need_encrypt": False,
        "sender": req.sender.as_cainiao(),
        "trade_order_info_dtos": [
            {
                "object_id": req.object_id,
                "order_info": {
                    "order_channels_type": req.order_channels_type,
                    "trade_order_list": list(req.trade_order_ids),
                },
                "package_info": {
                    "id": "1",
                    "items": [{"count": item.count, "name": item.name} for item in req.items],
                    "volume": 1,
                    "weight": req.weight_g,
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
        raise CarrierError("Cainiao print_data is not JSON", code="bad_response") from exc
    return parsed if isinstance(parsed, dict) else {"data": parsed}


def _call(client: TopClient, api: str, **business: str) -> dict:
    try:
        return client.call(api, **business)
    except PlatformError as exc:
        raise CarrierError(str(exc), code=exc.code, retryable=exc.retryable) from exc


class CainiaoWaybills:
    provider = "cainiao"

    def __init__(self, client: TopClient):
        self.client = client

    def issue(self, req: WaybillRequest) -> WaybillIssued:
        body = _call(self.client, GET_API, **{GET_PARAM: _json(get_request(req))})
        try:
            modules = body[GET_RESPONSE]["modules"]["waybill_cloud_print_response"]
            found = next(m for m in modules if m.get("object_id") == req.object_id)
        except (KeyError, TypeError, StopIteration) as exc:
            raise CarrierError(
                f"Cainiao answered without a waybill for {req.object_id}", code="bad_response"
            ) from exc
        if not found.get("waybill_code"):
            raise CarrierError("Cainiao answered an empty waybill_code", code="bad_response")
        return WaybillIssued(
            object_id=req.object_id,
            waybill_code=str(found["waybill_code"]),
            print_data=_print_data(found.get("print_data")),
            parent_waybill_code=str(found.get("parent_waybill_code") or ""),
        )

    def cancel(self, *, cp_code: str, waybill_code: str) -> None:
        body = _call(self.client, CANCEL_API, cp_code=cp_code, waybill_code=waybill_code)
        if not (body.get(CANCEL_RESPONSE) or {}).get("cancel_result"):
            raise CarrierError(f"Cainiao did not cancel waybill {waybill_code}", code="cancel_refused")

    def update(self, *, cp_code: str, waybill_code: str, recipient: Address) -> dict:
        request = {"cp_code": cp_code, "waybill_code": waybill_code, "recipient": recipient.as_cainiao()}
        body = _call(self.client, UPDATE_API, **{UPDATE_PARAM: _json(request)})
        answer = body.get(UPDATE_RESPONSE) or {}
        if not answer.get("waybill_code"):
            raise CarrierError(f"Cainiao did not update waybill {waybill_code}", code="update_refused")
        return _print_data(answer.get("print_data"))
