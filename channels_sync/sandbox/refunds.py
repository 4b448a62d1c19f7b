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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from channels_sync.platforms.douyin.refunds import DETAIL_METHOD as DY_DETAIL
from channels_sync.platforms.douyin.refunds import LIST_METHOD as DY_LIST
from channels_sync.platforms.douyin.refunds import OPERATE_METHOD as DY_OPERATE
from channels_sync.platforms.pdd import refunds as pdd_refunds
from channels_sync.platforms.taobao import refunds as tb_refunds
from channels_sync.platforms.util import format_beijing
from channels_sync.sandbox.core import FakeOrder, SandboxShop, SandboxState
from channels_sync.sandbox.platforms import douyin as dy_sandbox
from channels_sync.sandbox.platforms import pdd as pdd_sandbox
from channels_sync.sandbox.platforms import taobao as tb_sandbox

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
    case = _case(state, "pdd", shop, params.get("after_sales_id", ""))
    if case is None:
        return pdd_sandbox._error(pdd_sandbox.ERROR_BUSINESS, "售后单不存在")
    return pdd_sandbox.Response(200, {pdd_refunds.DETAIL_ROOT: pdd_render(case)})


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


PUSH_BODIES = {"taobao": taobao_push_body, "douyin": douyin_push_body}


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
