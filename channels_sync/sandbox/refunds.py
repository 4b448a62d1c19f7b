"""The sandbox's refund / after-sales side: neutral refund cases on sandbox orders, served in each
platform's own shape through its gateway (same signing, token and error checks), decisions received from
OrderHub applied to the case, and refund pushes.

Served: Taobao (taobao.refunds.receive.get, taobao.refund.get, taobao.rp.refunds.agree,
taobao.rp.refund.refuse), PDD (pdd.refund.list.increment.get, pdd.refund.information.get,
pdd.refund.agree / refuse) and Douyin shop (afterSale/List, afterSale/Detail, afterSale/operate).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from channels_sync.platforms.douyin.refunds import DETAIL_METHOD as DY_DETAIL
from channels_sync.platforms.douyin.refunds import LIST_METHOD as DY_LIST
from channels_sync.platforms.douyin.refunds import OPERATE_METHOD as DY_OPERATE
from channels_sync.platforms.jd import refunds as jd_refunds
from channels_sync.platforms.lazada import refunds as lz_refunds
from channels_sync.platforms.pdd import refunds as pdd_refunds
from channels_sync.platforms.shopee import refunds as sp_refunds
from channels_sync.platforms.taobao import refunds as tb_refunds
from channels_sync.platforms.util import beijing_time, format_beijing
from channels_sync.platforms.youzan import refunds as yz_refunds
from channels_sync.sandbox.core import FakeOrder, Response, SandboxShop, SandboxState
from channels_sync.sandbox.platforms import douyin as dy_sandbox
from channels_sync.sandbox.platforms import jd as jd_sandbox
from channels_sync.sandbox.platforms import lazada as lz_sandbox
from channels_sync.sandbox.platforms import pdd as pdd_sandbox
from channels_sync.sandbox.platforms import shopee as sp_sandbox
from channels_sync.sandbox.platforms import shopify as sf_sandbox
from channels_sync.sandbox.platforms import taobao as tb_sandbox
from channels_sync.sandbox.platforms import youzan as yz_sandbox

# Neutral case states → each platform's raw status.
REQUESTED, RETURN_AGREED, REFUNDED, REJECTED, CLOSED = (
    "requested",
    "return_agreed",
    "refunded",
    "rejected",
    "closed",
)
RAW = {
    "taobao": {REQUESTED: "WAIT_SELLER_AGREE", RETURN_AGREED: "WAIT_BUYER_RETURN_GOODS", REFUNDED: "SUCCESS",
               REJECTED: "SELLER_REFUSE_BUYER", CLOSED: "CLOSED"},
    "pdd": {REQUESTED: 2, RETURN_AGREED: 7, REFUNDED: 10, REJECTED: 6, CLOSED: 11},
    "douyin": {REQUESTED: 6, RETURN_AGREED: 7, REFUNDED: 12, REJECTED: 27, CLOSED: 28},
    "jd": {REQUESTED: 0, RETURN_AGREED: 1, REFUNDED: 3, REJECTED: 2, CLOSED: 4},
    "youzan": {REQUESTED: "WAIT_SELLER_AGREE", RETURN_AGREED: "WAIT_BUYER_RETURN_GOODS", REFUNDED: "SUCCESS",
               REJECTED: "SELLER_REFUSE_BUYER", CLOSED: "CLOSED"},
    "shopee": {REQUESTED: "REQUESTED", RETURN_AGREED: "PROCESSING", REFUNDED: "ACCEPTED", REJECTED: "CLOSED",
               CLOSED: "CANCELLED"},
    # Shopify: a refund is money already sent; its transaction's status is what changes.
    "shopify": {REQUESTED: "pending", RETURN_AGREED: "pending", REFUNDED: "success", REJECTED: "failure",
                CLOSED: "failure"},
    "lazada": {REQUESTED: "REQUEST_INITIATE", RETURN_AGREED: "REFUND_PENDING", REFUNDED: "REFUND_SUCCESS",
               REJECTED: "REQUEST_REJECT", CLOSED: "REQUEST_CANCEL"},
}  # fmt: skip
TYPE_CODES = {
    "pdd": {"refund_only": 2, "return_and_refund": 3, "exchange": 4, "resend": 5},
    "douyin": {"return_and_refund": 0, "exchange": 3, "resend": 7},
}


@dataclass
class FakeRefund:
    platform: str
    shop_id: str
    refund_id: str
    order: FakeOrder
    refund_type: str  # refund_only | return_and_refund | exchange | resend
    amount: Decimal
    reason: str
    state: str = REQUESTED
    raw_status: object = None  # set to force a status the platform table may not know
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: int = 1
    return_tracking_number: str = ""

    def raw(self):
        return self.raw_status if self.raw_status is not None else RAW[self.platform][self.state]

    @property
    def shipped(self) -> bool:
        return self.order.status in ("shipped", "completed")


def refunds_of(state: SandboxState) -> dict[tuple[str, str], dict[str, FakeRefund]]:
    with state.lock:
        return state.__dict__.setdefault("refunds", {})


def refund_create(
    state: SandboxState,
    order: FakeOrder,
    *,
    amount: Decimal | None = None,
    reason: str = "不想要了",
    refund_type: str = "refund_only",
    now: datetime | None = None,
) -> FakeRefund:
    """The buyer asks for a refund on a sandbox order."""
    now = now or datetime.now(UTC)
    digest = hashlib.sha256(f"{order.platform}:{order.order_id}:{now.timestamp()}".encode()).hexdigest()
    refund = FakeRefund(
        platform=order.platform,
        shop_id=order.shop_id,
        refund_id=str(int(digest[:12], 16)),
        order=order,
        refund_type=refund_type,
        amount=order.paid_amount if amount is None else amount,
        reason=reason,
        created_at=now.replace(microsecond=0),
        updated_at=now.replace(microsecond=0),
    )
    with state.lock:
        refunds_of(state).setdefault((order.platform, order.shop_id), {})[refund.refund_id] = refund
        order.__dict__.setdefault("refunds", []).append(refund)
        if order.platform == "shopify":  # Shopify lists refunds on their order, which they update
            refund.state = REFUNDED
            order.updated_at, order.version = max(order.updated_at, refund.updated_at), order.version + 1
    return refund


def refund_change(state: SandboxState, refund: FakeRefund, new_state: str, *, now: datetime | None = None):
    with state.lock:
        refund.state = new_state
        refund.version += 1
        # Whole seconds, as the platforms keep them; a change never goes back in time.
        refund.updated_at = max((now or datetime.now(UTC)).replace(microsecond=0), refund.updated_at)
    return refund


def _cases(state: SandboxState, platform: str, shop: SandboxShop) -> list[FakeRefund]:
    with state.lock:
        return list(refunds_of(state).get((platform, shop.shop_id), {}).values())


def _case(state: SandboxState, platform: str, shop: SandboxShop, refund_id: str) -> FakeRefund | None:
    return refunds_of(state).get((platform, shop.shop_id), {}).get(str(refund_id))


def _between(cases: list[FakeRefund], start: datetime, end: datetime) -> list[FakeRefund]:
    return sorted(
        (c for c in cases if start <= c.updated_at <= end), key=lambda c: (c.updated_at, c.refund_id)
    )


def _decide(state: SandboxState, refund: FakeRefund, approve: bool, api: str, params: dict) -> None:
    if approve:
        needs_goods = refund.refund_type in ("return_and_refund", "exchange") and refund.shipped
        goods_back = refund.state == RETURN_AGREED
        refund_change(state, refund, RETURN_AGREED if needs_goods and not goods_back else REFUNDED)
    else:
        refund_change(state, refund, REJECTED)
    with state.lock:
        state.received.append((refund.platform, api, {**params, "refund_id": refund.refund_id}))


# --- Taobao ---------------------------------------------------------------------------------------------


def taobao_render(refund: FakeRefund) -> dict:
    line = refund.order.lines[0]
    return {
        "refund_id": refund.refund_id,
        "tid": int(refund.order.order_id),
        "oid": int(tb_sandbox.sub_order_id(refund.order, line)),
        "buyer_nick": refund.order.buyer_id,
        "total_fee": f"{refund.order.paid_amount:.2f}",
        "refund_fee": f"{refund.amount:.2f}",
        "status": refund.raw(),
        "order_status": tb_sandbox.raw_status(refund.order),
        "good_status": "BUYER_RETURNED_GOODS"
        if refund.state == REFUNDED and refund.shipped
        else "BUYER_NOT_RECEIVED",
        "has_good_return": refund.refund_type == "return_and_refund",
        "refund_phase": "aftersale" if refund.shipped else "onsale",
        "dispute_type": "REFUND_AND_RETURN" if refund.refund_type == "return_and_refund" else "REFUND",
        "reason": refund.reason,
        "created": format_beijing(refund.created_at),
        "modified": format_beijing(refund.updated_at),
        "num": line.quantity,
        "sku": line.platform_sku_id,
        "outer_id": line.sku_code,
        "refund_version": refund.version,
        "sid": refund.return_tracking_number,
    }


def _tb_list(params, shop, state) -> dict:
    start, end = tb_sandbox._modified(params, "start_modified"), tb_sandbox._modified(params, "end_modified")
    if not timedelta(0) <= end - start <= tb_refunds.WINDOW_LIMIT:
        raise tb_sandbox._Refused(15, "Remote service error", "isv.invalid-parameter", "window over one day")
    page_no = tb_sandbox._number(params, "page_no", 1, 10**6)
    page_size = tb_sandbox._number(params, "page_size", 40, tb_refunds.PAGE_SIZE)
    found = _between(_cases(state, "taobao", shop), start, end.replace(microsecond=999_999))
    page = found[(page_no - 1) * page_size : page_no * page_size]
    result = {"has_next": page_no * page_size < len(found), "request_id": tb_sandbox._request_id()}
    if page:
        result["refunds"] = {"refund": [taobao_render(case) for case in page]}
    return {tb_refunds.LIST_RESPONSE: result}


def _tb_get(params, shop, state) -> dict:
    case = _case(state, "taobao", shop, tb_sandbox._required(params, "refund_id"))
    if case is None:
        raise tb_sandbox._Refused(15, "Remote service error", "isv.refund-not-exist", "退款不存在")
    return {
        tb_refunds.DETAIL_RESPONSE: {"refund": taobao_render(case), "request_id": tb_sandbox._request_id()}
    }


def _tb_agree(params, shop, state) -> dict:
    info = tb_sandbox._required(params, "refund_infos").split("|")
    case = _case(state, "taobao", shop, info[0])
    if case is None or len(info) != 4:
        raise tb_sandbox._Refused(15, "Remote service error", "isv.refund-not-exist", "refund_infos 不正确")
    if info[2] and info[2] != str(case.version):
        raise tb_sandbox._Refused(15, "Remote service error", "isv.refund-version-changed", "退款版本已变更")
    _decide(state, case, True, tb_refunds.AGREE_API, {"refund_infos": params["refund_infos"]})
    return {tb_refunds.AGREE_RESPONSE: {"succ": True, "msg": "成功", "request_id": tb_sandbox._request_id()}}


def _tb_refuse(params, shop, state) -> dict:
    case = _case(state, "taobao", shop, tb_sandbox._required(params, "refund_id"))
    message = tb_sandbox._required(params, "refuse_message")
    if case is None:
        raise tb_sandbox._Refused(15, "Remote service error", "isv.refund-not-exist", "退款不存在")
    _decide(state, case, False, tb_refunds.REFUSE_API, {"refuse_message": message})
    return {tb_refunds.REFUSE_RESPONSE: {"is_success": True, "request_id": tb_sandbox._request_id()}}


def taobao_push_body(
    refund: FakeRefund, shop: SandboxShop, topic: str = "taobao_refund_RefundCreated"
) -> bytes:
    content = {
        "refund_id": int(refund.refund_id), "tid": int(refund.order.order_id),
        "refund_fee": f"{refund.amount:.2f}", "refund_phase": "aftersale" if refund.shipped else "onsale",
        "refund_version": refund.version, "modified": format_beijing(refund.updated_at),
    }  # fmt: skip
    message = {
        "topic": topic,
        "id": int(
            hashlib.sha256(f"refund:{refund.refund_id}:{refund.version}".encode()).hexdigest()[:15], 16
        ),
        "pub_app_key": tb_sandbox.TMC_PUB_APP_KEY,
        "pub_time": format_beijing(refund.updated_at),
        "user_id": int(shop.shop_id),
        "user_nick": f"sandbox_{shop.shop_id}",
        "content": json.dumps(content, ensure_ascii=False),
    }
    return json.dumps(message, ensure_ascii=False).encode()


# --- PDD ------------------------------------------------------------------------------------------------


def pdd_render(refund: FakeRefund) -> dict:
    line = refund.order.lines[0]
    return {
        "id": int(refund.refund_id),
        "order_sn": refund.order.order_id,
        "after_sales_status": refund.raw(),
        "after_sales_type": TYPE_CODES["pdd"][refund.refund_type],
        "after_sale_reason": refund.reason,
        "refund_amount": int(refund.amount * 100),  # recent integrations: fen
        "order_amount": int(refund.order.paid_amount * 100),
        "sku_id": line.platform_sku_id,
        "outer_id": line.sku_code,
        "goods_number": str(line.quantity),
        "goods_name": line.title,
        "tracking_number": refund.return_tracking_number,
        "created_time": format_beijing(refund.created_at),
        "updated_time": format_beijing(refund.updated_at),
    }


def _pdd_list(params, shop, state):
    try:
        start, end = int(params["start_updated_at"]), int(params["end_updated_at"])
        page, page_size = int(params.get("page", "1")), int(params.get("page_size", "100"))
    except (KeyError, ValueError):
        return pdd_sandbox._error(pdd_sandbox.ERROR_PARAMETER, "参数错误", "start/end_updated_at, page")
    if not 0 <= end - start <= pdd_refunds.WINDOW_LIMIT.total_seconds() or not 1 <= page_size <= 100:
        return pdd_sandbox._error(pdd_sandbox.ERROR_PARAMETER, "参数错误", "时间间隔不能超过30分钟")
    found = _between(_cases(state, "pdd", shop), pdd_sandbox._at(start), pdd_sandbox._at(end))
    rows = [pdd_render(case) for case in found[(page - 1) * page_size : page * page_size]]
    return pdd_sandbox.Response(
        200, {pdd_refunds.LIST_ROOT: {"total_count": len(found), "refund_list": rows}}
    )


def _pdd_detail(params, shop, state):
    case = _case(state, "pdd", shop, params.get("after_sales_id", "")) or _pdd_full_refund(
        params, shop, state
    )
    if case is None:
        return pdd_sandbox._error(pdd_sandbox.ERROR_BUSINESS, "售后单不存在")
    return pdd_sandbox.Response(200, {pdd_refunds.DETAIL_ROOT: pdd_render(case)})


def _pdd_full_refund(params, shop, state) -> FakeRefund | None:
    """A paid PDD order that the sandbox cancelled died by a full refund, announced by PMC under the
    refund id its push carries: the case exists on the platform, refunded in full."""
    order = state.find_order("pdd", shop.shop_id, params.get("order_sn", ""))
    if order is None or order.status != "cancelled" or order.paid_at is None:
        return None
    if str(pdd_sandbox._digest_id(f"refund:{order.order_id}", 10)) != str(params.get("after_sales_id")):
        return None
    refund = refund_create(state, order, reason="订单取消，全额退款", now=order.updated_at)
    with state.lock:
        cases = refunds_of(state)[("pdd", shop.shop_id)]
        del cases[refund.refund_id]
        refund.refund_id, refund.state = str(params["after_sales_id"]), REFUNDED
        cases[refund.refund_id] = refund
    return refund


def _pdd_decision(approve: bool, api: str):
    def serve(params, shop, state):
        case = _case(state, "pdd", shop, params.get("after_sales_id", ""))
        if case is None:
            return pdd_sandbox._error(pdd_sandbox.ERROR_BUSINESS, "售后单不存在")
        if not approve and not params.get("reason"):
            return pdd_sandbox._error(pdd_sandbox.ERROR_PARAMETER, "参数错误", "reason 不能为空")
        _decide(state, case, approve, api, {"reason": params.get("reason", "")})
        return pdd_sandbox.Response(200, {pdd_refunds.DECISION_ROOT: {"success": True}})

    return serve


# --- Douyin shop ------------------------------------------------------------------------------------------


def douyin_render(refund: FakeRefund) -> dict:
    raw_type = TYPE_CODES["douyin"].get(refund.refund_type, 1 if refund.shipped else 2)
    sub_ids = dy_sandbox._sub_order_ids(refund.order)
    info = {
        "aftersale_id": refund.refund_id,
        "aftersale_type": raw_type,
        "aftersale_status": refund.raw(),
        "related_id": refund.order.order_id,
        "apply_time": int(refund.created_at.timestamp()),
        "create_time": int(refund.created_at.timestamp()),
        "update_time": int(refund.updated_at.timestamp()),
        "refund_amount": int(refund.amount * 100),
        "refund_post_amount": 0,
        "refund_status": 3 if refund.state == REFUNDED else 1,
        "return_logistics_code": refund.return_tracking_number,
        "arbitrate_status": 0,
    }
    items = [
        {"sku_order_id": sub_id, "sku_id": int(line.platform_sku_id), "shop_sku_code": line.sku_code,
         "item_num": line.quantity, "aftersale_item_num": line.quantity,
         "pay_amount": int(line.paid_amount * 100)}
        for sub_id, line in zip(sub_ids, refund.order.lines, strict=False)
    ]  # fmt: skip
    order_info = {"shop_order_id": refund.order.order_id, "related_order_info": items}
    return {"aftersale_info": info, "order_info": order_info, "text_part": {"reason_text": refund.reason}}


def _dy_list(params, shop, state):
    try:
        start, end = int(params["update_start_time"]), int(params["update_end_time"])
        page, size = int(params.get("page", 0)), int(params.get("size", 10))
    except (KeyError, TypeError, ValueError):
        return dy_sandbox._business_error("update_start_time/update_end_time 必填")
    found = _between(_cases(state, "douyin", shop), dy_sandbox._at(start), dy_sandbox._at(end))
    rows = [douyin_render(case) for case in found[page * size : (page + 1) * size]]
    data = {
        "page": page,
        "size": size,
        "total": len(found),
        "has_more": (page + 1) * size < len(found),
        "items": rows,
    }
    return dy_sandbox._envelope(10000, data)


def _dy_detail(params, shop, state):
    case = _case(state, "douyin", shop, str(params.get("after_sale_id", "")))
    if case is None:
        return dy_sandbox._business_error("售后单不存在")
    rendered = douyin_render(case)
    return dy_sandbox._envelope(
        10000,
        {
            "process_info": {
                "after_sale_info": rendered["aftersale_info"],
                "order_info": rendered["order_info"],
                "text_part": rendered["text_part"],
            }
        },
    )


def _dy_operate(params, shop, state):
    operate, items = params.get("type"), params.get("items") or []
    approve = {101: True, 111: True, 102: False, 112: False}.get(operate)
    if approve is None or not items:
        return dy_sandbox._business_error("type 或 items 不正确")
    results = []
    for item in items:
        case = _case(state, "douyin", shop, str(item.get("aftersale_id", "")))
        if case is None:
            results.append(
                {"aftersale_id": item.get("aftersale_id"), "status_code": 1, "status_msg": "售后单不存在"}
            )
            continue
        _decide(state, case, approve, DY_OPERATE, {"type": operate, "reason": item.get("reason", "")})
        results.append({"aftersale_id": case.refund_id, "status_code": 0, "status_msg": "成功"})
    return dy_sandbox._envelope(10000, {"items": results})


def douyin_push_body(refund: FakeRefund, shop: SandboxShop, tag: int = 200) -> bytes:
    data = {"aftersale_id": int(refund.refund_id), "p_id": int(refund.order.order_id),
            "shop_id": int(shop.shop_id), "aftersale_status": refund.raw(),
            "update_time": int(refund.updated_at.timestamp())}  # fmt: skip
    msg_id = str(
        int(hashlib.sha256(f"refund:{refund.refund_id}:{refund.version}".encode()).hexdigest()[:15], 16)
    )
    message = {"tag": str(tag), "msg_id": msg_id, "data": json.dumps(data, separators=(",", ":"))}
    return json.dumps([message], ensure_ascii=False, separators=(",", ":")).encode()


# --- JD -------------------------------------------------------------------------------------------------


def jd_render(refund: FakeRefund) -> dict:
    checked = refund.state != REQUESTED
    return {
        "id": int(refund.refund_id),
        "orderId": refund.order.order_id,
        "buyerId": refund.order.buyer_id,
        "applyTime": format_beijing(refund.created_at),
        "applyRefundSum": int(refund.amount * 100),
        "status": refund.raw(),
        "checkTime": format_beijing(refund.updated_at) if checked else "",
        "reason": refund.reason,
        "systemId": 55,
        "storeId": 0,
    }


def _jd_list(business, shop, state) -> dict:
    for prefix in ("applyTime", "checkTime"):
        if business.get(f"{prefix}Start"):
            start = beijing_time(business[f"{prefix}Start"])
            end = beijing_time(business.get(f"{prefix}End")) or datetime.now(UTC)
            break
    else:
        raise jd_sandbox._Failed("applyTimeStart or checkTimeStart is required", "开始时间必填")
    page, size = (
        int(business.get("pageIndex", 1)),
        min(int(business.get("pageSize", 20)), jd_refunds.PAGE_SIZE),
    )
    cases = _cases(state, "jd", shop)
    if prefix == "applyTime":
        found = sorted((c for c in cases if start <= c.created_at <= end), key=lambda c: c.refund_id)
    else:
        found = _between([c for c in cases if c.state != REQUESTED], start, end)
    rows = [jd_render(case) for case in found[(page - 1) * size : page * size]]
    return {"success": True, "totalCount": len(found), "result": rows}


def _jd_get(business, shop, state) -> dict:
    case = _case(state, "jd", shop, str(business.get("id", "")))
    if case is None:
        raise jd_sandbox._Failed("refund application not found", "退款单不存在")
    return {"success": True, "totalCount": 1, "result": [jd_render(case)]}


def _jd_reply(business, shop, state) -> dict:
    case = _case(state, "jd", shop, str(business.get("id", "")))
    if case is None or business.get("status") not in (1, 2):
        raise jd_sandbox._Failed("id or status is wrong", "参数错误")
    _decide(
        state, case, business["status"] == 1, jd_refunds.REPLY_API, {"remark": business.get("remark", "")}
    )
    return {"success": True}


# --- Youzan ---------------------------------------------------------------------------------------------


def youzan_render(refund: FakeRefund) -> dict:
    line = refund.order.lines[0]
    return {
        "refund_id": refund.refund_id,
        "tid": refund.order.order_id,
        "status": refund.raw(),
        "demand": {"refund_only": 1, "return_and_refund": 2, "exchange": 3}.get(refund.refund_type, 1),
        "refund_fee": f"{refund.amount:.2f}",
        "reason_desc": refund.reason,
        "phase": 2 if refund.shipped else 1,
        "created": format_beijing(refund.created_at),
        "modified": format_beijing(refund.updated_at),
        "version": refund.version,
        "return_tracking_number": refund.return_tracking_number,
        "refund_order_item": [
            {
                "oid": f"{refund.order.order_id}{line.line_id}",
                "outer_sku_id": line.sku_code,
                "refund_num": line.quantity,
                "refund_fee": f"{refund.amount:.2f}",
            }
        ],
    }


def _yz_search(params, shop, state):
    start, end = beijing_time(params.get("update_time_start")), beijing_time(params.get("update_time_end"))
    if start is None or end is None:
        return yz_sandbox._business_error(5000, "update_time_start/update_time_end 必填")
    page, size = int(params.get("page_no", 1)), int(params.get("page_size", 20))
    found = _between(_cases(state, "youzan", shop), start, end)
    rows = [youzan_render(case) for case in found[(page - 1) * size : page * size]]
    return yz_sandbox._ok({"refunds": rows, "total": len(found)})


def _yz_get(params, shop, state):
    case = _case(state, "youzan", shop, str(params.get("refund_id", "")))
    if case is None:
        return yz_sandbox._business_error(5000, "退款单不存在")
    return yz_sandbox._ok(youzan_render(case))


def _yz_decision(approve: bool, api: str):
    def serve(params, shop, state):
        case = _case(state, "youzan", shop, str(params.get("refund_id", "")))
        if case is None:
            return yz_sandbox._business_error(5000, "退款单不存在")
        if str(params.get("version", "")) != str(case.version):
            return yz_sandbox._business_error(5000, "退款单版本已变更")
        if not approve and not params.get("remark"):
            return yz_sandbox._business_error(5000, "拒绝理由必填")
        _decide(state, case, approve, api, {"remark": params.get("remark", "")})
        return yz_sandbox._ok({"is_success": True})

    return serve


# --- Shopee ---------------------------------------------------------------------------------------------


def shopee_render(refund: FakeRefund) -> dict:
    line = refund.order.lines[0]
    return {
        "return_sn": refund.refund_id,
        "order_sn": refund.order.order_id,
        "status": refund.raw(),
        "refund_amount": float(refund.amount),
        "currency": refund.order.currency,
        "text_reason": refund.reason,
        "reason": "CHANGE_MIND",
        "create_time": int(refund.created_at.timestamp()),
        "update_time": int(refund.updated_at.timestamp()),
        "needs_logistics": refund.refund_type != "refund_only",
        "tracking_number": refund.return_tracking_number,
        "user": {"username": refund.order.buyer_id},
        "item": [
            {
                "item_id": int(line.platform_sku_id) // 100,
                "model_id": int(line.platform_sku_id),
                "item_sku": line.sku_code,
                "variation_sku": line.sku_code,
                "amount": line.quantity,
                "item_price": float(line.unit_price),
            }
        ],
    }


def _sp_list(query, shop, state):
    try:
        start, end = int(query["update_time_from"]), int(query["update_time_to"])
        page, size = int(query.get("page_no", 0)), int(query.get("page_size", 10))
    except (KeyError, ValueError):
        return sp_sandbox._error(400, "error_param", "update_time_from and update_time_to are required.")
    if end - start > sp_refunds.WINDOW_LIMIT.total_seconds():
        return sp_sandbox._error(400, "error_param", "Time range must not exceed 15 days.")
    found = _between(
        _cases(state, "shopee", shop), datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    )
    rows = [shopee_render(case) for case in found[page * size : (page + 1) * size]]
    return sp_sandbox._ok({"more": (page + 1) * size < len(found), "return": rows})


def _sp_detail(query, shop, state):
    case = _case(state, "shopee", shop, query.get("return_sn", ""))
    if case is None:
        return sp_sandbox._error(400, "error_not_found", "Return not found.")
    return sp_sandbox._ok(shopee_render(case))


def _sp_decision(approve: bool, path: str):
    def serve(query, shop, state, *, body):
        case = _case(state, "shopee", shop, str(body.get("return_sn", "")))
        if case is None:
            return sp_sandbox._error(400, "error_not_found", "Return not found.")
        if not approve and not body.get("dispute_text_reason"):
            return sp_sandbox._error(400, "error_param", "dispute_text_reason is required.")
        _decide(state, case, approve, path, {"reason": body.get("dispute_text_reason", "")})
        return sp_sandbox._ok({"return_sn": case.refund_id})

    return serve


# --- Lazada ---------------------------------------------------------------------------------------------


def lazada_render(refund: FakeRefund) -> dict:
    items = lz_sandbox._items(refund.order)
    # The refund spread over the unit lines to the cent; the last line takes what rounding left over.
    share = (refund.amount / max(len(items), 1)).quantize(Decimal("0.01"))
    shares = [share] * (len(items) - 1) + [refund.amount - share * (len(items) - 1)]
    lines = [
        {
            "reverse_order_line_id": int(f"{refund.refund_id}{index}"),
            "trade_order_line_id": item["order_item_id"],
            "reverse_status": refund.raw(),
            "refund_amount": int(shares[index] * 100),
            "reason_text": refund.reason,
            "seller_sku_id": item["sku"],
            "platform_sku_id": str(item.get("sku_id", "")),
            "buyer": {"buyer_id": refund.order.buyer_id},
            "is_dispute": False,
            "tracking_number": refund.return_tracking_number,
            "return_order_line_gmt_create": int(refund.created_at.timestamp() * 1000),
            "return_order_line_gmt_modified": int(refund.updated_at.timestamp() * 1000),
        }
        for index, item in enumerate(items)
    ]
    request_type = "ONLY_REFUND" if refund.refund_type == "refund_only" else "RETURN"
    return {
        "reverse_order_id": int(refund.refund_id),
        "trade_order_id": int(refund.order.order_id),
        "request_type": request_type,
        "reverse_order_lines": lines,
    }


def _lz_list(request, state, shop):
    query = request.query
    try:
        start = int(query["reverse_order_line_modified_start"]) / 1000
        end = int(query["reverse_order_line_modified_end"]) / 1000
        page, size = int(query.get("page_no", 1)), int(query.get("page_size", 10))
    except (KeyError, ValueError):
        return lz_sandbox._error("MissingParameter", "modified start and end (ms) are required")
    found = _between(
        _cases(state, "lazada", shop), datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    )
    rows = [lazada_render(case) for case in found[(page - 1) * size : page * size]]
    result = {"success": True, "page_no": page, "page_size": size, "total": len(found), "items": rows}
    return Response(200, {"code": "0", "result": result, "request_id": "sandbox"})


def _lz_detail(request, state, shop):
    case = _case(state, "lazada", shop, request.query.get("reverse_order_id", ""))
    if case is None:
        return lz_sandbox._error("ReverseOrderNotFound", "reverse order not found")
    return lz_sandbox._ok(lazada_render(case))


def _lz_update(request, state, shop):
    case = _case(state, "lazada", shop, request.query.get("reverse_order_id", ""))
    action = request.query.get("action")
    if case is None or action not in ("AGREE_RETURN", "REFUSE_RETURN"):
        return lz_sandbox._error("InvalidParameter", "reverse_order_id or action is wrong")
    _decide(
        state,
        case,
        action == "AGREE_RETURN",
        lz_refunds.UPDATE_PATH,
        {"reason": request.query.get("reason_text", "")},
    )
    return Response(200, {"code": "0", "result": {"success": True}, "request_id": "sandbox"})


# --- Shopify --------------------------------------------------------------------------------------------


def shopify_render(refund: FakeRefund) -> dict:
    line = refund.order.lines[0]
    at = refund.updated_at.isoformat()
    return {
        "id": int(refund.refund_id),
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund.refund_id}",
        "order_id": int(refund.order.order_id),
        "created_at": refund.created_at.isoformat(),
        "note": refund.reason,
        "restock": refund.refund_type != "refund_only",
        "refund_line_items": [
            {
                "line_item_id": int(f"{refund.order.order_id}{line.line_id}"),
                "quantity": line.quantity,
                "restock_type": "return" if refund.refund_type != "refund_only" else "no_restock",
                "subtotal": f"{refund.amount:.2f}",
                "line_item": {"sku": line.sku_code, "variant_id": int(line.platform_sku_id)},
            }
        ],
        "transactions": [
            {"kind": "refund", "status": refund.raw(), "amount": f"{refund.amount:.2f}",
             "currency": refund.order.currency, "processed_at": at}
        ],
    }  # fmt: skip


def _sf_refund(request, state, shop, matched):
    case = _case(state, "shopify", shop, matched["refund_id"])
    if case is None or case.order.order_id != matched["order_id"]:
        return sf_sandbox._errors(404, "Not Found")
    return Response(200, {"refund": shopify_render(case)})


def shopify_push_body(refund: FakeRefund, shop: SandboxShop) -> bytes:
    return json.dumps(shopify_render(refund), ensure_ascii=False, separators=(",", ":")).encode()


def shopify_push_headers(body: bytes, shop: SandboxShop) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "refunds/create",
        "X-Shopify-Hmac-Sha256": sf_sandbox.webhook_signature(shop.app_secret, body),
        "X-Shopify-Shop-Domain": shop.shop_id,
        "X-Shopify-Webhook-Id": hashlib.sha256(body).hexdigest()[:32],
    }


# --- refund pushes of PDD (PMC relay), Youzan and Lazada -----------------------------------------------


def pdd_push_body(refund: FakeRefund, shop: SandboxShop) -> bytes:
    modified_ms = int(refund.updated_at.timestamp() * 1000)
    content = {"mall_id": int(shop.shop_id), "tid": refund.order.order_id, "refund_id": int(refund.refund_id),
               "refund_fee": int(refund.amount * 100), "bill_type": 1, "modified": modified_ms}  # fmt: skip
    frame = {
        "commandType": "Common",
        "id": pdd_sandbox._digest_id(f"refund:{refund.refund_id}:{refund.version}", 15),
        "time": modified_ms + 50,
        "sendTime": modified_ms,
        "message": {"type": "pdd_refund_RefundCreated", "mallID": int(shop.shop_id),
                    "content": json.dumps(content, separators=(",", ":"))},
    }  # fmt: skip
    return json.dumps(frame, ensure_ascii=False).encode()


def youzan_push_body(refund: FakeRefund, shop: SandboxShop) -> bytes:
    from urllib.parse import quote_plus

    from channels_sync.platforms.youzan.push import event_sign

    message = {"refund_id": refund.refund_id, "tid": refund.order.order_id,
               "update_time": format_beijing(refund.updated_at)}  # fmt: skip
    msg = quote_plus(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    body = {
        "msg": msg, "kdt_name": "OrderHub 演示店", "test": False, "type": "trade_refund_BuyerCreated",
        "sign": event_sign(shop.app_key, msg.encode(), shop.app_secret), "sendCount": 1,
        "version": refund.version, "client_id": shop.app_key, "mode": 1, "kdt_id": int(shop.shop_id),
        "id": refund.order.order_id, "msg_id": f"youzan-refund-{refund.refund_id}-{refund.version}",
        "status": refund.raw(),
    }  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


def lazada_push_body(refund: FakeRefund, shop: SandboxShop) -> bytes:
    line = lazada_render(refund)["reverse_order_lines"][0]
    message = {
        "seller_id": shop.shop_id,
        "message_type": 0,
        "data": {
            "order_status": "canceled" if refund.state == REFUNDED else "pending",
            "reverse_order_id": refund.refund_id,
            "reverse_order_line_id": str(line["reverse_order_line_id"]),
            "status_update_time": int(refund.updated_at.timestamp()),
            "trade_order_id": refund.order.order_id,
            "trade_order_line_id": str(line["trade_order_line_id"]),
        },
        "timestamp": int(refund.updated_at.timestamp() * 1000),
        "site": lz_sandbox.SITE,
    }  # fmt: skip
    return json.dumps(message, separators=(",", ":")).encode()


PUSH_BODIES = {
    "taobao": taobao_push_body,
    "douyin": douyin_push_body,
    "shopify": shopify_push_body,
    "pdd": pdd_push_body,
    "youzan": youzan_push_body,
    "lazada": lazada_push_body,
}


def refund_push_body(refund: FakeRefund, shop: SandboxShop) -> bytes:
    return PUSH_BODIES[refund.platform](refund, shop)


tb_sandbox.APIS.update(
    {tb_refunds.LIST_API: _tb_list, tb_refunds.DETAIL_API: _tb_get, tb_refunds.AGREE_API: _tb_agree,
     tb_refunds.REFUSE_API: _tb_refuse}
)  # fmt: skip
pdd_sandbox.REFUND_APIS.update(
    {pdd_refunds.LIST_API: _pdd_list, pdd_refunds.DETAIL_API: _pdd_detail,
     pdd_refunds.AGREE_API: _pdd_decision(True, pdd_refunds.AGREE_API),
     pdd_refunds.REFUSE_API: _pdd_decision(False, pdd_refunds.REFUSE_API)}
)  # fmt: skip
dy_sandbox.REFUND_METHODS.update({DY_LIST: _dy_list, DY_DETAIL: _dy_detail, DY_OPERATE: _dy_operate})
jd_sandbox.APIS.update(
    {jd_refunds.LIST_API: (jd_refunds.LIST_RESPONSE, "queryResult", _jd_list),
     jd_refunds.DETAIL_API: (jd_refunds.DETAIL_RESPONSE, "queryResult", _jd_get),
     jd_refunds.REPLY_API: (jd_refunds.REPLY_RESPONSE, "replyResult", _jd_reply)}
)  # fmt: skip
yz_sandbox.REFUND_ROUTES.update(
    {yz_refunds.SEARCH_API: _yz_search, yz_refunds.DETAIL_API: _yz_get,
     yz_refunds.AGREE_API: _yz_decision(True, yz_refunds.AGREE_API[0]),
     yz_refunds.REFUSE_API: _yz_decision(False, yz_refunds.REFUSE_API[0])}
)  # fmt: skip
sp_sandbox.REFUND_ROUTES.update(
    {sp_refunds.LIST_PATH: ("GET", _sp_list), sp_refunds.DETAIL_PATH: ("GET", _sp_detail),
     sp_refunds.CONFIRM_PATH: ("POST", _sp_decision(True, sp_refunds.CONFIRM_PATH)),
     sp_refunds.DISPUTE_PATH: ("POST", _sp_decision(False, sp_refunds.DISPUTE_PATH))}
)  # fmt: skip
lz_sandbox.ROUTES.update(
    {lz_refunds.LIST_PATH: _lz_list, lz_refunds.DETAIL_PATH: _lz_detail, lz_refunds.UPDATE_PATH: _lz_update}
)
sf_sandbox.RENDER_REFUNDS = lambda order: [
    shopify_render(refund) for refund in order.__dict__.get("refunds", ())
]
sf_sandbox.REFUND_ROUTES.append(
    (
        re.compile(r"^/admin/api/\d{4}-\d{2}/orders/(?P<order_id>\d+)/refunds/(?P<refund_id>\d+)\.json$"),
        _sf_refund,
    )
)
