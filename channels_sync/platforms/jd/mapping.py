"""JD POP orders (`orderInfoList[]` of jingdong.pop.order.search, `orderInfo` of .get) → NormalizedOrder.

Order amounts are yuan decimal strings, times Beijing-time strings, ids strings. Consignee fields
arrive as JD ciphertext or masked text and are kept as given.
"""

from __future__ import annotations

from decimal import Decimal

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.util import beijing_time, id_text, status_from, text, yuan
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver

NO_FLAGS: frozenset[str] = frozenset()
HELD = frozenset({"platform_blocked"})

# orderState → (standard status, flags), per the proposed standard mapping in PLATFORMS.md.
# JD lists no unpaid orders, so nothing maps to pending_payment.
STATUSES: dict[str, tuple[str, frozenset[str]]] = {
    "WAIT_SELLER_STOCK_OUT": ("paid", NO_FLAGS),
    "WAIT_SELLER_DELIVERY": ("paid", NO_FLAGS),
    "WAIT_SEND_CODE": ("paid", NO_FLAGS),
    "PAUSE": ("paid", HELD),
    "POP_ORDER_PAUSE": ("paid", HELD),
    "LOCKED": ("paid", HELD),
    "WAIT_GOODS_RECEIVE_CONFIRM": ("shipped", NO_FLAGS),
    "FINISHED_L": ("completed", NO_FLAGS),
    "TRADE_CANCELED": ("cancelled", NO_FLAGS),
}

SEARCH_RESPONSE = "jingdong_pop_order_search_responce"  # sic: JD spells it "responce"
SEARCH_RESULT = "searchorderinfo_result"
GET_RESPONSE = "jingdong_pop_order_get_responce"
GET_RESULT = "orderDetailInfo"
# JD writes an unset time as year 1 (e.g. outBoundDate before stock-out).
UNSET_TIME = "0001-01-01 00:00:00"


def standard_status(raw_status) -> tuple[str, frozenset[str]]:
    return status_from(STATUSES, raw_status, "JD orderState")


def platform_id(value, what: str) -> str:
    return id_text(value, f"JD {what}")


def order_id(order: dict) -> str:
    return platform_id(order.get("orderId"), "orderId")


def jd_time(value):
    return None if value == UNSET_TIME else beijing_time(value)


def normalize(raw_order: dict) -> NormalizedOrder:
    try:
        return _normalize(raw_order)
    except PayloadError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PayloadError(f"JD order is unreadable: {exc.__class__.__name__} {exc}") from exc


def _normalize(order: dict) -> NormalizedOrder:
    if not isinstance(order, dict):
        raise PayloadError(f"a JD order is a JSON object, not {type(order).__name__}")
    status, flags = standard_status(order.get("orderState"))
    consignee = order.get("consigneeInfo") or {}
    coupons = _coupons_by_sku(order.get("couponDetailList") or [])
    return NormalizedOrder(
        platform="jd",
        platform_order_id=order_id(order),
        status=status,
        raw_status=order["orderState"],
        currency="CNY",
        goods_amount=yuan(order.get("orderTotalPrice")),
        shipping_fee=yuan(order.get("freightPrice")),
        discount=yuan(order.get("sellerDiscount")),
        paid_amount=yuan(order.get("orderPayment")),
        created_at=jd_time(order.get("orderStartTime")),
        paid_at=jd_time(order.get("paymentConfirmTime")),
        updated_at=jd_time(order.get("modified")),
        buyer_id=text(order.get("pin")),
        buyer_remark=text(order.get("orderRemark")).strip(),
        seller_remark=text(order.get("venderRemark")).strip(),
        receiver=NormalizedReceiver(
            name=text(consignee.get("fullname")),
            phone=text(consignee.get("mobile") or consignee.get("telephone")),
            province=text(consignee.get("province")),
            city=text(consignee.get("city")),
            district=text(consignee.get("county")),
            detail=text(consignee.get("fullAddress")),
        ),
        lines=tuple(_line(item, coupons) for item in order.get("itemInfoList") or []),
        platform_shop_id=text(order.get("venderId")),
        flags=flags,
    )


def _coupons_by_sku(coupons: list) -> dict[str, Decimal]:
    """Discounts JD booked against each SKU; coupons without a SKU stay at order level."""
    totals: dict[str, Decimal] = {}
    for coupon in coupons:
        if coupon.get("skuId") in (None, ""):
            continue
        sku = platform_id(coupon["skuId"], "couponDetailList.skuId")
        totals[sku] = totals.get(sku, Decimal("0.00")) + yuan(coupon.get("couponPrice"))
    return totals


def _line(item: dict, coupons: dict[str, Decimal]) -> NormalizedLine:
    sku = platform_id(item.get("skuId"), "skuId")
    quantity = int(item["itemTotal"])
    unit_price = yuan(item["jdPrice"])
    return NormalizedLine(
        platform_sku_id=sku,
        outer_sku_code=text(item.get("outerSkuId")),
        title=text(item.get("skuName")),
        quantity=quantity,
        unit_price=unit_price,
        # JD items carry no paid amount of their own: list price less the coupons booked to the SKU.
        paid_amount=unit_price * quantity - coupons.get(sku, Decimal("0.00")),
        platform_line_id=platform_id(item.get("id") or sku, "item id"),
    )


def extract_orders(payload) -> list[dict]:
    """Orders out of a pop.order.search or pop.order.get response, or a bare order. JD does not push."""
    if not isinstance(payload, dict):
        raise PayloadError(f"a JD payload is a JSON object, not {type(payload).__name__}")
    if "error_response" in payload:
        error = payload["error_response"] or {}
        raise PayloadError(f"JD error response carries no orders: code {error.get('code')!r}")
    if SEARCH_RESPONSE in payload:
        result = _result(payload, SEARCH_RESPONSE, SEARCH_RESULT)
        orders = result.get("orderInfoList") or []
    elif GET_RESPONSE in payload:
        result = _result(payload, GET_RESPONSE, GET_RESULT)
        orders = [result["orderInfo"]] if result.get("orderInfo") else []
    elif "orderId" in payload:
        orders = [payload]
    else:
        raise PayloadError(f"not a JD order search, order get or order (keys: {sorted(payload)[:8]})")
    if not isinstance(orders, list) or not all(isinstance(order, dict) for order in orders):
        raise PayloadError("JD response holds something other than order objects")
    return orders


def _result(payload: dict, response_key: str, result_key: str) -> dict:
    result = (payload[response_key] or {}).get(result_key)
    if not isinstance(result, dict):
        raise PayloadError(f"JD {response_key} has no {result_key} object")
    failure = api_failure(result)
    if failure:
        raise PayloadError(f"JD {response_key} reports failure {failure[0]}: {failure[1]}")
    return result


def api_failure(result: dict) -> tuple[str, str] | None:
    """(code, description) when the result's `apiResult` reports failure, else None.

    JD answers business errors (a bad window, an unknown order) with HTTP 200 and success false.
    """
    api_result = result.get("apiResult")
    if not isinstance(api_result, dict) or str(api_result.get("success")).lower() == "true":
        return None
    code = text(api_result.get("numberCode") or api_result.get("englishErrCode") or "api_result")
    description = text(api_result.get("englishErrCode") or api_result.get("chineseErrCode"))
    return code, description
