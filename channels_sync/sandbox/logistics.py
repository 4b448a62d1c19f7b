"""The sandbox's logistics APIs: each platform's ship write-back, the e-waybills (Cainiao through TOP,
PDD's own) and the tracking providers (Kuaidi100, KDNiao), with the same signing checks as the real ones.

`handle(platform, request, state)` answers the platform calls it knows and returns None for the rest, so
the platform module keeps serving everything else; `provider(name, request, state)` serves /kuaidi100 and
/kdniao. Shipping marks the sandbox order shipped with the tracking number; what was written is in
`state.received`. Tests may set a waybill's traces with `set_traces(state, number, state_code, traces)`.
"""

from __future__ import annotations

import hmac
import json
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from channels_sync.carriers import cainiao
from channels_sync.carriers import pdd as pdd_waybill
from channels_sync.carriers.tracking import (
    KDNIAO_QUERY_PATH,
    KUAIDI100_QUERY_PATH,
    kdniao_sign,
    kuaidi100_sign,
)
from channels_sync.platforms.douyin.client import sign as douyin_sign
from channels_sync.platforms.douyin.ship import SHIP_METHOD as DOUYIN_SHIP
from channels_sync.platforms.jd.ship import SHIP_API as JD_SHIP
from channels_sync.platforms.jd.ship import SHIP_RESPONSE as JD_RESPONSE
from channels_sync.platforms.jd.ship import SHIP_RESULT
from channels_sync.platforms.lazada.ship import RTS_PATH
from channels_sync.platforms.pdd.client import sign as pdd_sign
from channels_sync.platforms.pdd.ship import SHIP_API as PDD_SHIP
from channels_sync.platforms.pdd.ship import SHIP_ROOT as PDD_SHIP_ROOT
from channels_sync.platforms.shopee.client import sign as shopee_sign
from channels_sync.platforms.shopee.ship import SHIP_PATH as SHOPEE_SHIP
from channels_sync.platforms.taobao.ship import SHIP_API as TAOBAO_SHIP
from channels_sync.platforms.taobao.ship import SHIP_RESPONSE as TAOBAO_RESPONSE
from channels_sync.platforms.util import format_beijing
from channels_sync.platforms.youzan.ship import SHIP_API as YOUZAN_SHIP
from channels_sync.sandbox.core import Request, Response, SandboxShop, SandboxState

PROVIDERS = ("kuaidi100", "kdniao")
KUAIDI100 = {"customer": "SANDBOXCUSTOMER", "key": "sandbox-kuaidi100-key"}
KDNIAO = {"business_id": "1271962", "app_key": "sandbox-kdniao-key"}
_SHOPIFY_FO = re.compile(r"^/admin/api/[^/]+/orders/(?P<order_id>\d+)/fulfillment_orders\.json$")
_SHOPIFY_FULFILL = re.compile(r"^/admin/api/[^/]+/fulfillments\.json$")
_PREFIXES = {
    "YTO": "YT",
    "ZTO": "7",
    "STO": "77",
    "YD": "43",
    "YUNDA": "43",
    "SF": "SF",
    "EMS": "98",
    "JD": "JDV",
}


# ---- shared state -----------------------------------------------------------------------------------


def _waybills(state: SandboxState) -> dict[str, dict]:
    return state.__dict__.setdefault("waybills", {})


def _traces(state: SandboxState) -> dict[str, dict]:
    return state.__dict__.setdefault("tracking", {})


def set_traces(state: SandboxState, number: str, state_code: str, traces: list[tuple[datetime, str]]) -> None:
    """What the tracking providers answer for a number: a state code (Kuaidi100's: 1 collected,
    3 signed; KDNiao uses the same two) and (time, text) traces."""
    with state.lock:
        _traces(state)[number] = {"state": state_code, "traces": traces}


def _receive(state: SandboxState, platform: str, api: str, params: dict) -> None:
    with state.lock:
        state.received.append((platform, api, params))


def _mark_shipped(state: SandboxState, platform: str, shop: SandboxShop, order_id: str, number: str) -> bool:
    with state.lock:
        order = state.find_order(platform, shop.shop_id, str(order_id))
        if order is None:
            return False
        if order.status in ("paid", "shipped"):
            order.status = "shipped"
            order.tracking_number = number
            order.version += 1
            order.updated_at = datetime.now(UTC)
        return True


# ---- the platforms' ship APIs and e-waybills --------------------------------------------------------


def handle(platform: str, request: Request, state: SandboxState) -> Response | None:
    serve = _PLATFORM_HANDLERS.get(platform)
    return serve(request, state) if serve else None


def _taobao(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import taobao

    params = {**request.query, **request.form()}
    method = params.get("method", "")
    if method not in (TAOBAO_SHIP, cainiao.GET_API, cainiao.CANCEL_API, cainiao.UPDATE_API):
        return None
    try:
        shop = taobao._authenticate(params, state)
    except taobao._Refused as refused:
        return refused.response
    if method == TAOBAO_SHIP:
        missing = [name for name in ("tid", "out_sid", "company_code") if not params.get(name)]
        if missing:
            return taobao._error(40, "Missing required arguments", f"isv.missing-parameter:{missing[0]}")
        _receive(state, "taobao", TAOBAO_SHIP, {k: params[k] for k in ("tid", "out_sid", "company_code")})
        if not _mark_shipped(state, "taobao", shop, params["tid"], params["out_sid"]):
            return taobao._error(
                15, "Remote service error", "isv.logistics-offline-service-error:B04", "订单不存在"
            )
        return Response(
            200, {TAOBAO_RESPONSE: {"shipping": {"is_success": True}, "request_id": uuid.uuid4().hex[:13]}}
        )
    if method == cainiao.GET_API:
        return _cainiao_get(params, state, taobao)
    if method == cainiao.CANCEL_API:
        known = _cancel(state, params.get("waybill_code", ""))
        _receive(
            state,
            "taobao",
            method,
            {"cp_code": params.get("cp_code"), "waybill_code": params.get("waybill_code")},
        )
        return Response(200, {cainiao.CANCEL_RESPONSE: {"cancel_result": known is not None}})
    return _cainiao_update(params, state, taobao)


def _issue(state: SandboxState, cp_code: str, request: dict) -> str:
    with state.lock:
        sequence = state.__dict__["waybill_sequence"] = state.__dict__.get("waybill_sequence", 0) + 1
        prefix = _PREFIXES.get(cp_code.upper(), cp_code.upper())
        number = f"{prefix}{sequence:010d}{state.rng.randint(10, 99)}"
        _waybills(state)[number] = {"cp_code": cp_code, "request": request, "issued_at": datetime.now(UTC)}
    return number


def _cancel(state: SandboxState, number: str) -> dict | None:
    with state.lock:
        known = _waybills(state).get(number)
        if known is None or known.get("cancelled"):
            return None
        known["cancelled"] = True
        return known


def _print_data(number: str, template: str) -> str:
    return json.dumps(
        {
            "encryptedData": uuid.uuid4().hex,
            "signature": uuid.uuid4().hex[:16],
            "templateURL": template,
            "ver": "waybill_print_secret_version_1",
            "waybillCode": number,
        },
    )


def _cainiao_get(params: dict, state: SandboxState, taobao) -> Response:
    try:
        request = json.loads(params.get(cainiao.GET_PARAM) or "")
        dtos = request["trade_order_info_dtos"]
        cp_code = request["cp_code"]
        if not cp_code or not dtos or not all(d["recipient"]["address"]["province"] for d in dtos):
            raise ValueError
        request["sender"]["address"]["province"]
    except (ValueError, KeyError, TypeError):
        return taobao._error(40, "Missing required arguments", "isv.invalid-parameter", cainiao.GET_PARAM)
    _receive(state, "taobao", cainiao.GET_API, request)
    modules = []
    for dto in dtos:
        number = _issue(state, cp_code, dto)
        modules.append(
            {
                "object_id": dto["object_id"],
                "waybill_code": number,
                "parent_waybill_code": "",
                "print_data": _print_data(number, dto.get("template_url", "")),
            }
        )
    return Response(
        200,
        {
            cainiao.GET_RESPONSE: {
                "modules": {"waybill_cloud_print_response": modules},
                "request_id": uuid.uuid4().hex[:13],
            }
        },
    )


def _cainiao_update(params: dict, state: SandboxState, taobao) -> Response:
    try:
        request = json.loads(params.get(cainiao.UPDATE_PARAM) or "")
        number = request["waybill_code"]
        request["recipient"]["address"]["province"]
    except (ValueError, KeyError, TypeError):
        return taobao._error(40, "Missing required arguments", "isv.invalid-parameter", cainiao.UPDATE_PARAM)
    if number not in _waybills(state):
        return taobao._error(15, "Remote service error", "isv.waybill-not-exist", "面单号不存在")
    _receive(state, "taobao", cainiao.UPDATE_API, request)
    _waybills(state)[number]["request"]["recipient"] = request["recipient"]
    return Response(
        200, {cainiao.UPDATE_RESPONSE: {"waybill_code": number, "print_data": _print_data(number, "")}}
    )


def _jd(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import jd

    params = {**request.query, **request.form()}
    if params.get("method") != JD_SHIP:
        return None
    try:
        shop = jd._authenticate(params, state)
        business = jd._business(params)
    except jd._Refused as refused:
        return refused.response
    except jd._Failed as failed:
        return Response(200, {JD_RESPONSE: {"code": "0", SHIP_RESULT: failed.api_result}})
    if not all(business.get(name) for name in ("orderId", "logiCoprId", "logiNo")):
        result = {"success": False, "englishErrCode": "param error", "chineseErrCode": "参数错误"}
        return Response(200, {JD_RESPONSE: {"code": "0", SHIP_RESULT: result}})
    _receive(state, "jd", JD_SHIP, business)
    found = _mark_shipped(state, "jd", shop, business["orderId"], business["logiNo"])
    result = {
        "success": found,
        "englishErrCode": "" if found else "order not found",
        "chineseErrCode": "" if found else "订单不存在",
    }
    return Response(200, {JD_RESPONSE: {"code": "0", SHIP_RESULT: result}})


def _pdd(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import pdd

    params = request.form()
    api = params.get("type")
    if api not in (PDD_SHIP, pdd_waybill.GET_API, pdd_waybill.CANCEL_API, pdd_waybill.UPDATE_API):
        return None
    shop = state.shop_by_app_key("pdd", params.get("client_id", ""))
    if shop is None:
        return pdd._error(10000, "参数错误", "client_id不存在")
    if not hmac.compare_digest(params.get("sign", "").encode(), pdd_sign(params, shop.app_secret).encode()):
        return pdd._error(20004, "签名验证失败", "签名验证失败")
    token_shop = state.shop_by_token("pdd", params.get("access_token", ""))
    if token_shop is None or token_shop.shop_id != shop.shop_id or not token_shop.token_valid:
        return pdd._error(10019, "access_token已过期")
    if api == PDD_SHIP:
        if not all(params.get(n) for n in ("order_sn", "logistics_id", "tracking_number")):
            return pdd._error(10000, "参数错误", "order_sn, logistics_id and tracking_number are required")
        _receive(
            state, "pdd", PDD_SHIP, {n: params[n] for n in ("order_sn", "logistics_id", "tracking_number")}
        )
        if not _mark_shipped(state, "pdd", shop, params["order_sn"], params["tracking_number"]):
            return pdd._error(50000, "订单不存在", params["order_sn"])
        return Response(200, {PDD_SHIP_ROOT: {"is_success": True, "request_id": uuid.uuid4().hex}})
    if api == pdd_waybill.CANCEL_API:
        known = _cancel(state, params.get("waybill_code", ""))
        _receive(
            state, "pdd", api, {"wp_code": params.get("wp_code"), "waybill_code": params.get("waybill_code")}
        )
        return Response(200, {pdd_waybill.CANCEL_ROOT: {"cancel_result": known is not None}})
    if api == pdd_waybill.UPDATE_API:
        try:
            update = json.loads(params.get("param_waybill_update") or "")
            number = update["waybill_code"]
        except (ValueError, KeyError, TypeError):
            return pdd._error(10000, "参数错误", "param_waybill_update")
        if number not in _waybills(state):
            return pdd._error(50000, "面单号不存在", number)
        _receive(state, "pdd", api, update)
        return Response(
            200, {pdd_waybill.UPDATE_ROOT: {"waybill_code": number, "print_data": _print_data(number, "")}}
        )
    try:
        waybill = json.loads(params.get("param_waybill") or "")
        dtos, wp_code = waybill["trade_order_info_dtos"], waybill["wp_code"]
        if not wp_code or not dtos or not all(d["recipient"]["address"]["province"] for d in dtos):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return pdd._error(10000, "参数错误", "param_waybill")
    _receive(state, "pdd", api, waybill)
    modules = []
    for dto in dtos:
        number = _issue(state, wp_code, dto)
        modules.append(
            {
                "object_id": dto["object_id"],
                "waybill_code": number,
                "print_data": _print_data(number, dto.get("template_url", "")),
            }
        )
    return Response(200, {pdd_waybill.GET_ROOT: {"modules": modules, "request_id": uuid.uuid4().hex}})


def _douyin(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import douyin

    query = request.query
    if query.get("method") != DOUYIN_SHIP:
        return None
    if request.method != "POST" or request.path != "/" + DOUYIN_SHIP.replace(".", "/"):
        return douyin._envelope(
            douyin.CODE_API_OFF, None, "接口服务已下线", "isp.api-service-off", "API不存在"
        )
    shop = state.shop_by_app_key("douyin", query.get("app_key", ""))
    if shop is None:
        return douyin._platform_error("isv.app-id-invalid", "认证失败，app_key不存在")
    body = request.body.decode()
    expected = douyin_sign(shop.app_key, shop.app_secret, DOUYIN_SHIP, body, query.get("timestamp", ""))
    if not hmac.compare_digest(query.get("sign", "").encode(), expected.encode()):
        return douyin._platform_error(douyin.SUB_SIGNATURE_INVALID, "签名校验失败")
    token_shop = state.shop_by_token("douyin", query.get("access_token", ""))
    if token_shop is None or token_shop.shop_id != shop.shop_id or not token_shop.token_valid:
        return douyin._platform_error(douyin.SUB_TOKEN_EXPIRED, "access_token已过期")
    try:
        params = json.loads(body or "{}")
    except ValueError:
        params = {}
    if not all(params.get(n) for n in ("order_id", "company_code", "logistics_code")):
        return douyin._business_error("order_id, company_code and logistics_code are required")
    _receive(state, "douyin", DOUYIN_SHIP, params)
    if not _mark_shipped(state, "douyin", shop, params["order_id"], params["logistics_code"]):
        return douyin._business_error("订单不存在")
    return douyin._envelope(10000, {})


def _youzan(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import youzan

    if request.path.strip("/") != f"api/{YOUZAN_SHIP[0]}/{YOUZAN_SHIP[1]}":
        return None
    shop = state.shop_by_token("youzan", request.query.get("access_token", ""))
    if shop is None or not shop.token_valid:
        return youzan._gateway_error(4203, "Token 不存在")
    try:
        params = json.loads(request.body or b"{}")
    except ValueError:
        return youzan._gateway_error(4004, "非法的Content")
    if not params.get("tid") or not params.get("out_sid") or not isinstance(params.get("out_stype"), int):
        return youzan._business_error(101000100, "tid, out_stype and out_sid are required")
    _receive(state, "youzan", YOUZAN_SHIP[0], params)
    if not _mark_shipped(state, "youzan", shop, params["tid"], params["out_sid"]):
        return youzan._business_error(101000200, "订单不存在")
    return youzan._ok({"is_success": True})


def _shopee(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import shopee

    if request.path != SHOPEE_SHIP:
        return None
    query = request.query
    shop = state.shop("shopee", query.get("shop_id", ""))
    if shop is None or shop.app_key != query.get("partner_id"):
        return shopee._error(403, "error_auth", "Invalid partner_id or shop_id.")
    expected = shopee_sign(
        shop.app_secret,
        query["partner_id"],
        request.path,
        query.get("timestamp", ""),
        query.get("access_token", ""),
        query["shop_id"],
    )
    if not hmac.compare_digest(query.get("sign", "").encode(), expected.encode()):
        return shopee._error(403, "error_sign", "Wrong sign.")
    if query.get("access_token") != shop.access_token or not shop.token_valid:
        return shopee._error(403, "error_auth", "Invalid access_token.")
    try:
        body = json.loads(request.body or b"{}")
        number = body["non_integrated"]["tracking_number"] if "non_integrated" in body else ""
    except (ValueError, KeyError, TypeError):
        return shopee._error(400, "error_param", "Body is not a JSON object.")
    if not body.get("order_sn") or not number:
        return shopee._error(
            400, "logistics.error_param", "order_sn and non_integrated.tracking_number needed."
        )
    _receive(state, "shopee", SHOPEE_SHIP, body)
    if not _mark_shipped(state, "shopee", shop, body["order_sn"], number):
        return shopee._error(400, "logistics.order_not_found", "Order not found.")
    return Response(200, {"error": "", "message": "", "request_id": uuid.uuid4().hex})


def _lazada(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import lazada

    if request.path != RTS_PATH:
        return None
    request = replace(request, query={**request.form(), **request.query})
    shop = lazada._authenticate(request, state)
    if isinstance(shop, Response):
        return shop
    params = request.query
    try:
        item_ids = [str(i) for i in json.loads(params.get("order_item_ids") or "")]
    except (ValueError, TypeError):
        return lazada._error("InvalidParameter", "order_item_ids must be a JSON list")
    if not item_ids or not params.get("tracking_number") or not params.get("shipment_provider"):
        return lazada._error(
            "MissingParameter", "order_item_ids, shipment_provider and tracking_number are needed"
        )
    written = {
        k: params[k]
        for k in ("delivery_type", "order_item_ids", "shipment_provider", "tracking_number")
        if k in params
    }
    _receive(state, "lazada", RTS_PATH, written)
    with state.lock:
        order = next(
            (
                o
                for o in state.shop_orders("lazada", shop.shop_id)
                if {line.line_id for line in o.lines} & set(item_ids)
            ),
            None,
        )
    if order is None:
        return lazada._error("E0063", "Order item not found")
    _mark_shipped(state, "lazada", shop, order.order_id, params["tracking_number"])
    items = [
        {
            "order_item_id": int(i) if i.isdigit() else i,
            "tracking_number": params["tracking_number"],
            "shipment_provider": params["shipment_provider"],
        }
        for i in item_ids
    ]
    return lazada._ok({"order_items": items})


def _shopify(request: Request, state: SandboxState) -> Response | None:
    from channels_sync.sandbox.platforms import shopify

    listing, fulfil = _SHOPIFY_FO.match(request.path), _SHOPIFY_FULFILL.match(request.path)
    if not listing and not (fulfil and request.method == "POST"):
        return None
    shop = state.shop_by_token("shopify", request.headers.get("x-shopify-access-token", ""))
    if shop is None or not shop.token_valid:
        return shopify._errors(401, shopify.INVALID_TOKEN_MESSAGE)
    if listing:
        order = state.find_order("shopify", shop.shop_id, listing["order_id"])
        if order is None:
            return shopify._errors(404, "Not Found")
        status = "closed" if order.status in ("shipped", "completed") else "open"
        return Response(
            200,
            {
                "fulfillment_orders": [
                    {"id": int(order.order_id) + 1, "order_id": int(order.order_id), "status": status}
                ]
            },
        )
    try:
        fulfillment = json.loads(request.body)["fulfillment"]
        fo_ids = [
            int(item["fulfillment_order_id"]) for item in fulfillment["line_items_by_fulfillment_order"]
        ]
        number = fulfillment["tracking_info"]["number"]
    except (ValueError, KeyError, TypeError):
        return shopify._errors(422, {"fulfillment": ["is invalid"]})
    _receive(state, "shopify", "/fulfillments.json", fulfillment)
    order_ids = [str(fo_id - 1) for fo_id in fo_ids]
    if not all(_mark_shipped(state, "shopify", shop, order_id, number) for order_id in order_ids):
        return shopify._errors(422, {"fulfillment_order": ["not found"]})
    return Response(
        201,
        {
            "fulfillment": {
                "id": fo_ids[0] + 1000,
                "status": "success",
                "tracking_number": number,
                "order_id": int(order_ids[0]),
            }
        },
    )


_PLATFORM_HANDLERS = {
    "taobao": _taobao,
    "jd": _jd,
    "pdd": _pdd,
    "douyin": _douyin,
    "youzan": _youzan,
    "shopee": _shopee,
    "lazada": _lazada,
    "shopify": _shopify,
}


# ---- tracking providers -----------------------------------------------------------------------------


def _trace_for(state: SandboxState, number: str) -> dict | None:
    """Set traces win; otherwise a shipped waybill the sandbox issued is collected 30 minutes after it was
    written back and delivered two days later."""
    with state.lock:
        if number in _traces(state):
            return _traces(state)[number]
        shipped = any(
            number in json.dumps(params, ensure_ascii=False)
            for _, _, params in state.received
            if isinstance(params, dict)
        ) and number in _waybills(state)
        issued = _waybills(state).get(number)
    if not shipped or issued is None:
        return None
    now = datetime.now(UTC)
    collected = issued["issued_at"] + timedelta(minutes=30)
    traces = []
    if now >= collected:
        traces.append((collected, "【揽收】快件已被揽收"))
    delivered = collected + timedelta(days=2)
    if now >= delivered:
        traces.append((delivered, "已签收，签收人：本人"))
    if not traces:
        return None
    return {"state": "3" if len(traces) == 2 else "1", "traces": traces}


def provider(name: str, request: Request, state: SandboxState) -> Response:
    if name == "kuaidi100":
        return _kuaidi100(request, state)
    return _kdniao(request, state)


def _kuaidi100(request: Request, state: SandboxState) -> Response:
    if request.path != KUAIDI100_QUERY_PATH or request.method != "POST":
        return Response(404, {"result": False, "returnCode": "404", "message": "not found"})
    form = request.form()
    if form.get("customer") != KUAIDI100["customer"]:
        return Response(200, {"result": False, "returnCode": "601", "message": "POLL:KEY已过期或账号不存在"})
    if form.get("sign", "") != kuaidi100_sign(form.get("param", ""), KUAIDI100["key"], form["customer"]):
        return Response(200, {"result": False, "returnCode": "400", "message": "验证签名失败"})
    try:
        param = json.loads(form["param"])
        number, com = param["num"], param["com"]
    except (ValueError, KeyError):
        return Response(200, {"result": False, "returnCode": "400", "message": "param 参数错误"})
    _receive(state, "kuaidi100", "query", param)
    found = _trace_for(state, number)
    if found is None:
        return Response(
            200,
            {
                "message": "快递公司参数异常：单号不存在或者已经过期",
                "nu": number,
                "ischeck": "0",
                "condition": "",
                "com": com,
                "status": "201",
                "state": "0",
                "data": [],
            },
        )
    data = [
        {"time": format_beijing(at), "ftime": format_beijing(at), "context": text, "location": ""}
        for at, text in sorted(found["traces"], reverse=True)
    ]
    return Response(
        200,
        {
            "message": "ok",
            "nu": number,
            "ischeck": "1" if found["state"] == "3" else "0",
            "condition": "F00",
            "com": com,
            "status": "200",
            "state": found["state"],
            "data": data,
        },
    )


def _kdniao(request: Request, state: SandboxState) -> Response:
    if request.path != KDNIAO_QUERY_PATH or request.method != "POST":
        return Response(404, {"Success": False, "Reason": "not found"})
    form = request.form()
    if form.get("EBusinessID") != KDNIAO["business_id"]:
        return Response(
            200, {"EBusinessID": form.get("EBusinessID", ""), "Success": False, "Reason": "用户ID不存在"}
        )
    if form.get("DataSign", "") != kdniao_sign(form.get("RequestData", ""), KDNIAO["app_key"]):
        return Response(200, {"EBusinessID": form["EBusinessID"], "Success": False, "Reason": "签名错误"})
    try:
        data = json.loads(form["RequestData"])
        number, shipper = data["LogisticCode"], data["ShipperCode"]
    except (ValueError, KeyError):
        return Response(
            200, {"EBusinessID": form["EBusinessID"], "Success": False, "Reason": "RequestData 格式错误"}
        )
    _receive(state, "kdniao", "1002", data)
    found = _trace_for(state, number)
    body = {
        "EBusinessID": form["EBusinessID"],
        "ShipperCode": shipper,
        "LogisticCode": number,
        "Success": True,
    }
    if found is None:
        return Response(200, body | {"State": "0", "Reason": "暂无轨迹信息", "Traces": []})
    traces = [
        {"AcceptTime": format_beijing(at), "AcceptStation": text} for at, text in sorted(found["traces"])
    ]
    kdniao_state = {"1": "1", "3": "3"}.get(found["state"], "2")
    return Response(200, body | {"State": kdniao_state, "Traces": traces})
