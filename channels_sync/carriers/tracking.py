"""Tracking providers: Kuaidi100 (快递100) and KDNiao (快递鸟), real request shapes and signatures.

Kuaidi100 real-time query: POST form {customer, param, sign} to /poll/query.do, where `param` is JSON
{com, num, phone, resultv2} and sign = UPPER(MD5(param + key + customer)); answer {message, nu, ischeck,
com, status ("200" found / "201" not found), state, data[{time, ftime, context}]}, newest first.
Its subscription callback POSTs form {param: JSON{status, billstatus, message, lastResult{...}}, sign}
with sign = UPPER(MD5(param + salt)) and wants {"result": true, "returnCode": "200", "message": "成功"}.

KDNiao instant query (RequestType 1002): POST form {EBusinessID, RequestType, RequestData, DataType=2,
DataSign} with DataSign = urlencode(base64(md5_hex_lower(RequestData + AppKey))); answer {Success,
LogisticCode, ShipperCode, State, Traces[{AcceptTime, AcceptStation}]} oldest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx

from channels_sync.carriers.base import CarrierError, TrackingResult, TrackingTrace
from channels_sync.platforms.base import PayloadError, PlatformError
from channels_sync.platforms.http import json_body, request
from channels_sync.platforms.util import beijing_time

KUAIDI100_GATEWAY = "https://poll.kuaidi100.com"
KUAIDI100_QUERY_PATH = "/poll/query.do"
KDNIAO_GATEWAY = "https://api.kdniao.com"
KDNIAO_QUERY_PATH = "/Ebusiness/EbusinessOrderHandle.aspx"
KDNIAO_INSTANT_QUERY = "1002"

# Our carrier codes (the cp_code of the e-waybill) → each provider's company code.
KUAIDI100_COM = {
    "YTO": "yuantong", "ZTO": "zhongtong", "STO": "shentong", "YD": "yunda", "YUNDA": "yunda",
    "SF": "shunfeng", "EMS": "ems", "JD": "jd", "JTSD": "jtexpress", "DBL": "debangwuliu",
    "POSTB": "youzhengguonei",
}  # fmt: skip
KDNIAO_SHIPPER = {
    "YTO": "YTO", "ZTO": "ZTO", "STO": "STO", "YD": "YD", "YUNDA": "YD", "SF": "SF", "EMS": "EMS",
    "JD": "JD", "JTSD": "JTSD", "DBL": "DBL", "POSTB": "YZPY",
}  # fmt: skip

# Kuaidi100 `state`: 0 in transit, 1 collected, 2 problem, 3 signed, 4 returned-signed, 5 out for delivery,
# 6 returning, 7 transferred, 14 refused. KDNiao `State`: 0 no trace, 1 collected, 2 in transit,
# 3 signed, 4 problem.
KUAIDI100_KIND = {"0": "in_transit", "1": "collected", "2": "problem", "3": "delivered", "4": "problem",
                  "5": "in_transit", "6": "problem", "7": "in_transit", "14": "problem"}  # fmt: skip
KDNIAO_KIND = {"0": "unknown", "1": "collected", "2": "in_transit", "3": "delivered", "4": "problem"}


def kuaidi100_sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode(), usedforsecurity=False).hexdigest().upper()


def kuaidi100_callback_sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode(), usedforsecurity=False).hexdigest().upper()


def kdniao_sign(request_data: str, app_key: str) -> str:
    """base64 of the lower-case MD5 hex; the form encoder adds the URL encoding on the wire."""
    digest = hashlib.md5((request_data + app_key).encode(), usedforsecurity=False).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def _when(text: str):
    try:
        moment = beijing_time(text)
    except PayloadError:
        moment = None
    if moment is None:
        raise CarrierError(f"unreadable trace time {text!r}", code="bad_response")
    return moment


def kuaidi100_result(body: dict, tracking_number: str) -> TrackingResult:
    """A query answer or a callback's `lastResult`, read the same way."""
    if not isinstance(body, dict):
        raise CarrierError("Kuaidi100 answered no JSON object", code="bad_response")
    if str(body.get("status", "200")) != "200" or body.get("result") is False:
        return TrackingResult(tracking_number, state=str(body.get("state", "")), kind="unknown", found=False)
    traces = [
        TrackingTrace(_when(item.get("ftime") or item["time"]), str(item.get("context", ""))[:500])
        for item in body.get("data") or []
    ]
    traces.sort(key=lambda trace: trace.occurred_at)
    state = str(body.get("state", ""))
    return TrackingResult(
        str(body.get("nu") or tracking_number), state=state, kind=KUAIDI100_KIND.get(state, "unknown"),
        traces=traces,
    )  # fmt: skip


def kdniao_result(body: dict, tracking_number: str) -> TrackingResult:
    if not isinstance(body, dict):
        raise CarrierError("KDNiao answered no JSON object", code="bad_response")
    if not body.get("Success"):  # a trace-less number answers Success true, State 0, Reason 暂无轨迹信息
        raise CarrierError(f"KDNiao refused the query: {body.get('Reason', '')}", code="refused")
    traces = [
        TrackingTrace(_when(item["AcceptTime"]), str(item.get("AcceptStation", ""))[:500])
        for item in body.get("Traces") or []
    ]
    traces.sort(key=lambda trace: trace.occurred_at)
    state = str(body.get("State", ""))
    return TrackingResult(
        str(body.get("LogisticCode") or tracking_number), state=state, kind=KDNIAO_KIND.get(state, "unknown"),
        traces=traces, found=bool(traces),
    )  # fmt: skip


@dataclass(frozen=True)
class Kuaidi100:
    customer: str
    key: str
    http: httpx.Client
    base_url: str = KUAIDI100_GATEWAY
    name = "kuaidi100"

    def query(self, *, carrier_code: str, tracking_number: str, phone: str = "") -> TrackingResult:
        com = KUAIDI100_COM.get(carrier_code.upper())
        if com is None:
            raise CarrierError(
                f"Kuaidi100 has no company code for carrier {carrier_code}", code="carrier_unknown"
            )
        param = json.dumps(
            {"com": com, "num": tracking_number, "phone": phone[-4:], "resultv2": "1"}, separators=(",", ":")
        )
        form = {
            "customer": self.customer,
            "param": param,
            "sign": kuaidi100_sign(param, self.key, self.customer),
        }
        try:
            body = json_body(
                request(self.http, "POST", self.base_url.rstrip("/") + KUAIDI100_QUERY_PATH, data=form)
            )
        except PlatformError as exc:
            raise CarrierError(str(exc), code=exc.code, retryable=exc.retryable) from exc
        if "returnCode" in body and str(body.get("returnCode")) != "200" and "data" not in body:
            raise CarrierError(
                f"Kuaidi100 refused the query: {body.get('message', '')}", code=str(body["returnCode"])
            )
        return kuaidi100_result(body, tracking_number)


@dataclass(frozen=True)
class KDNiao:
    business_id: str
    app_key: str
    http: httpx.Client
    base_url: str = KDNIAO_GATEWAY
    name = "kdniao"

    def query(self, *, carrier_code: str, tracking_number: str, phone: str = "") -> TrackingResult:
        shipper = KDNIAO_SHIPPER.get(carrier_code.upper())
        if shipper is None:
            raise CarrierError(
                f"KDNiao has no shipper code for carrier {carrier_code}", code="carrier_unknown"
            )
        data = {"OrderCode": "", "ShipperCode": shipper, "LogisticCode": tracking_number}
        if shipper == "SF" and phone:
            data["CustomerName"] = phone[-4:]  # SF asks for the last four digits of a phone
        request_data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        form = {
            "EBusinessID": self.business_id,
            "RequestType": KDNIAO_INSTANT_QUERY,
            "RequestData": request_data,  # the form encoding is the urlencode KDNiao asks for
            "DataType": "2",
            "DataSign": kdniao_sign(request_data, self.app_key),
        }
        try:
            body = json_body(
                request(self.http, "POST", self.base_url.rstrip("/") + KDNIAO_QUERY_PATH, data=form)
            )
        except PlatformError as exc:
            raise CarrierError(str(exc), code=exc.code, retryable=exc.retryable) from exc
        return kdniao_result(body, tracking_number)


def kuaidi100_callback_verify(param: str, sign: str, salt: str) -> bool:
    return hmac.compare_digest(kuaidi100_callback_sign(param, salt).encode(), (sign or "").upper().encode())


KUAIDI100_CALLBACK_OK = {"result": True, "returnCode": "200", "message": "成功"}
