import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited
from channels_sync.platforms.jd import ADAPTER
from channels_sync.platforms.jd.client import (
    ORDER_FIELDS,
    ORDER_STATES,
    SEARCH_API,
    WINDOW_LIMIT,
    Client,
    raise_for_error,
    search_params,
    sign,
)
from channels_sync.platforms.jd.mapping import extract_orders, normalize
from channels_sync.platforms.registry import get_adapter
from channels_sync.platforms.util import BEIJING, format_beijing
from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import jd as sandbox_jd
from tests.channels_sync.conftest import shop_auth
from tests.conftest import load_fixture

[VECTOR] = [v for v in load_fixture("_signing_vectors.json")["vectors"] if v["platform"] == "jd_jos"]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def state():
    """Sandbox state without a server, for rendering."""
    return demo_state()


@pytest.fixture
def recorded():
    """An httpx client that keeps the business params of every JOS request it sends."""
    sent: list[tuple[str, dict]] = []

    def keep(request: httpx.Request):
        form = dict(parse_qsl(request.content.decode()))
        sent.append((form["method"], json.loads(form["360buy_param_json"])))

    with httpx.Client(timeout=10, event_hooks={"request": [keep]}) as client:
        yield client, sent


def searches(sent: list[tuple[str, dict]]) -> list[dict]:
    return [business for method, business in sent if method == SEARCH_API]


def sample_order(fixture_json) -> dict:
    [order] = extract_orders(fixture_json("jd/pop_order_search.json"))
    return copy.deepcopy(order)


def with_coupon(order):
    """A one-yuan shop coupon on the first line, so line and order amounts differ from list prices."""
    order.discount += Decimal("1.00")
    order.lines[0].paid_amount -= Decimal("1.00")
    return order


def assert_matches(normalized, order):
    assert normalized.platform_order_id == order.order_id
    assert normalized.platform_shop_id == order.shop_id
    assert normalized.status == order.status
    assert normalized.goods_amount == order.goods_amount
    assert normalized.shipping_fee == order.shipping_fee
    assert normalized.discount == order.discount
    assert normalized.paid_amount == order.goods_amount + order.shipping_fee - order.discount
    assert normalized.updated_at == order.updated_at.replace(microsecond=0)
    assert normalized.buyer_id == order.buyer_id
    assert (normalized.receiver.name, normalized.receiver.phone) == (
        order.receiver_name,
        order.receiver_phone,
    )
    assert (normalized.receiver.province, normalized.receiver.city, normalized.receiver.district) == (
        order.province, order.city, order.district,
    )  # fmt: skip
    assert normalized.receiver.detail == order.province + order.city + order.district + order.detail
    assert [
        (x.platform_sku_id, x.outer_sku_code, x.title, x.quantity, x.unit_price, x.paid_amount)
        for x in normalized.lines
    ] == [
        (x.platform_sku_id, x.sku_code, x.title, x.quantity, x.unit_price, x.paid_amount) for x in order.lines
    ]


# --- signing -------------------------------------------------------------------------------------


def test_sign_matches_the_vector():
    # Given the JOS vector (360buy_param_json included), when signed, then the vector's sign comes out
    assert sign(VECTOR["params"], VECTOR["secret"]) == VECTOR["sign"]


def test_sign_covers_the_business_json():
    changed = VECTOR["params"] | {
        "360buy_param_json": VECTOR["params"]["360buy_param_json"].replace("1", "2")
    }
    assert sign(changed, VECTOR["secret"]) != VECTOR["sign"]


# --- samples -------------------------------------------------------------------------------------


def test_pop_order_search_sample_normalizes(fixture_json):
    # Given the search response holding JD's verbatim test order
    [raw] = extract_orders(fixture_json("jd/pop_order_search.json"))
    # When normalized
    order = normalize(raw)
    # Then every field is read from the JD field that carries it, ciphertext kept as sent
    assert order.platform == "jd"
    assert order.platform_order_id == "249786309732"
    assert order.platform_shop_id == "10622317"
    assert (order.status, order.raw_status, order.flags) == ("paid", "WAIT_SELLER_STOCK_OUT", frozenset())
    assert order.currency == "CNY"
    assert order.goods_amount == Decimal("1.00")
    assert order.shipping_fee == Decimal("0.00")
    assert order.discount == Decimal("0.00")
    assert order.paid_amount == Decimal("1.00")
    assert order.created_at == utc(2022, 7, 16, 8, 37, 38)
    assert order.paid_at == utc(2022, 7, 16, 8, 38, 32)
    assert order.updated_at == utc(2022, 7, 16, 8, 38, 32)
    assert order.buyer_id == "jd_ituyy715jh7pssw"
    assert (order.buyer_remark, order.seller_remark) == ("", "")
    assert order.receiver.name == "AAS/ZFJFpmfveSmeZ0P9i+iPiAVtOMmowMRtStdbSOA32r6wKNWTMeyV2CU1umLIhl0="
    assert order.receiver.phone == "136*******5"
    assert (order.receiver.province, order.receiver.city, order.receiver.district) == (
        "广东",
        "广州市",
        "海珠区",
    )
    assert order.receiver.detail.startswith("AAS/ZFJFpmfveSmeZ0P9i+iPFTw2VsdIkCtv0Yhp")
    [line] = order.lines
    assert line.platform_sku_id == "10054887745652"
    assert line.outer_sku_code == "testjd4206151136003"
    assert line.title.startswith("（测试勿拍，不发货）chuchu啾啾")
    assert (line.quantity, line.unit_price, line.paid_amount) == (1, Decimal("1.00"), Decimal("1.00"))
    assert line.platform_line_id == "228886533499"


def test_invalid_access_token_sample_becomes_auth_expired(fixture_json):
    with pytest.raises(AuthExpired) as caught:
        raise_for_error(fixture_json("jd/error_invalid_access_token.json"))
    assert caught.value.code == "19"


def test_refund_apply_sample_is_not_an_order_payload(fixture_json):
    with pytest.raises(PayloadError, match="not a JD order search"):
        extract_orders(fixture_json("jd/pop_afs_refundapply_querypagelist.json"))


def test_app_call_limited_becomes_rate_limited():
    body = {
        "error_response": {"code": "2", "zh_desc": "限制时间内调用失败次数", "en_desc": "App Call Limited"}
    }
    with pytest.raises(RateLimited) as caught:
        raise_for_error(body)
    assert caught.value.retry_after > 0


def test_failed_api_result_becomes_a_platform_error(fixture_json):
    body = fixture_json("jd/pop_order_search.json")
    body["jingdong_pop_order_search_responce"]["searchorderinfo_result"]["apiResult"] = {
        "success": False, "englishErrCode": "system busy", "numberCode": 10100021,
    }  # fmt: skip
    with pytest.raises(PlatformError) as caught:
        raise_for_error(body)
    assert caught.value.code == "10100021"
    with pytest.raises(PayloadError, match="reports failure"):
        extract_orders(body)


def test_an_error_code_in_the_response_wrapper_becomes_a_platform_error():
    with pytest.raises(PlatformError) as caught:
        raise_for_error({"jingdong_pop_order_search_responce": {"code": "103", "zh_desc": "invalid app"}})
    assert caught.value.code == "103"


# --- mapping edge cases --------------------------------------------------------------------------


@pytest.mark.parametrize("state_name", ["PAUSE", "POP_ORDER_PAUSE", "LOCKED"])
def test_paused_and_locked_orders_are_paid_and_held(fixture_json, state_name):
    order = normalize(sample_order(fixture_json) | {"orderState": state_name})
    assert (order.status, order.flags) == ("paid", frozenset({"platform_blocked"}))


def test_unknown_order_state_is_refused_not_guessed(fixture_json):
    with pytest.raises(PayloadError, match="unknown JD orderState 'WAIT_SOMETHING'"):
        normalize(sample_order(fixture_json) | {"orderState": "WAIT_SOMETHING"})


def test_jd_year_one_means_no_time(fixture_json):
    order = normalize(sample_order(fixture_json) | {"paymentConfirmTime": "0001-01-01 00:00:00"})
    assert order.paid_at is None


def test_coupons_booked_to_a_sku_reduce_that_line(fixture_json):
    raw = sample_order(fixture_json)
    raw["itemInfoList"][0] |= {"jdPrice": "50.00", "itemTotal": "2"}
    raw["couponDetailList"] = [
        {
            "orderId": "249786309732",
            "skuId": "10054887745652",
            "couponType": "29-满减优惠",
            "couponPrice": "5.00",
        },
        {
            "orderId": "249786309732",
            "skuId": "10054887745652",
            "couponType": "41-京东券优惠",
            "couponPrice": "2.50",
        },
        {"orderId": "249786309732", "couponType": "39-京豆优惠", "couponPrice": "1.00"},  # order level
    ]
    [line] = normalize(raw).lines
    assert line.paid_amount == Decimal("92.50")


def test_a_float_order_id_is_refused(fixture_json):
    with pytest.raises(PayloadError, match="orderId"):
        normalize(sample_order(fixture_json) | {"orderId": 249786309732.0})


@pytest.mark.parametrize(
    "payload",
    [None, [], "text", {"other": 1}, {"jingdong_pop_order_search_responce": {"searchorderinfo_result": "x"}}],
)
def test_unreadable_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        extract_orders(payload)


def test_missing_item_fields_surface_as_payload_error(fixture_json):
    raw = sample_order(fixture_json)
    del raw["itemInfoList"][0]["itemTotal"]
    with pytest.raises(PayloadError, match="unreadable"):
        normalize(raw)


def test_adapter_is_registered_without_push():
    assert get_adapter("jd") is ADAPTER
    assert ADAPTER.push is None
    assert ADAPTER.default_base_url == "https://api.jd.com"
    assert sandbox_jd.PUSHES is False


# --- against the sandbox -------------------------------------------------------------------------


def test_full_pull_pages_through_and_returns_every_order_once(sandbox, recorded):
    # Given 230 paid orders modified over the last few minutes
    http, sent = recorded
    shop, base = demo_shop("jd"), datetime.now(UTC) - timedelta(minutes=30)
    made = [generate_order(sandbox.state, shop, now=base + timedelta(seconds=i)) for i in range(230)]
    # When one window covering them is pulled
    client = Client(shop_auth(sandbox, "jd"), http)
    pages = list(client.fetch_orders(base - timedelta(minutes=1), base + timedelta(minutes=10)))
    # Then three pages of at most 100 were read, with the required order_state and optional_fields
    assert [(b["page"], b["page_size"]) for b in searches(sent)] == [("1", "100"), ("2", "100"), ("3", "100")]
    assert all(
        b["order_state"] == ORDER_STATES and b["optional_fields"] == ORDER_FIELDS for b in searches(sent)
    )
    ids = [normalize(raw).platform_order_id for page in pages for raw in page]
    assert sorted(ids) == sorted(order.order_id for order in made)
    assert len(ids) == len(set(ids))


def test_window_longer_than_the_limit_is_split(sandbox, recorded):
    # Given orders spread over sixty days
    http, sent = recorded
    shop, end = demo_shop("jd"), datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=60)
    made = [generate_order(sandbox.state, shop, now=start + timedelta(days=d)) for d in (1, 20, 30, 50, 59)]
    # When the sixty days are pulled at once
    pulled = [
        raw["orderId"]
        for page in Client(shop_auth(sandbox, "jd"), http).fetch_orders(start, end)
        for raw in page
    ]
    # Then the window went out in slices the platform accepts, and every order came back once
    windows = [(b["start_date"], b["end_date"]) for b in searches(sent)]
    assert windows == [
        (format_beijing(start), format_beijing(start + WINDOW_LIMIT)),
        (format_beijing(start + WINDOW_LIMIT), format_beijing(start + 2 * WINDOW_LIMIT)),
        (format_beijing(start + 2 * WINDOW_LIMIT), format_beijing(end)),
    ]
    assert sorted(pulled) == sorted(order.order_id for order in made)


def test_sandbox_refuses_a_window_over_one_month(sandbox, http):
    client = Client(shop_auth(sandbox, "jd"), http)
    client.window_limit = timedelta(days=40)
    end = datetime.now(UTC)
    with pytest.raises(PlatformError, match="one month"):
        list(client.fetch_orders(end - timedelta(days=40), end))


def test_one_month_is_a_calendar_month():
    assert sandbox_jd.one_month_after(datetime(2024, 1, 31, 8, tzinfo=BEIJING)) == datetime(
        2024, 2, 29, 8, tzinfo=BEIJING
    )
    assert sandbox_jd.one_month_after(datetime(2024, 12, 15, tzinfo=BEIJING)) == datetime(
        2025, 1, 15, tzinfo=BEIJING
    )
    assert timedelta(days=28) >= WINDOW_LIMIT  # never longer than the shortest month


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"page_size": "101"}, "page_size"),
        ({"order_state": ""}, "order_state"),
        ({"optional_fields": ""}, "optional_fields"),
    ],
)
def test_sandbox_refuses_bad_search_params(sandbox, http, change, message):
    client = Client(shop_auth(sandbox, "jd"), http)
    now = datetime.now(UTC)
    with pytest.raises(PlatformError, match=message):
        client.call(SEARCH_API, search_params(now - timedelta(hours=1), now, 1) | change)


def test_unpaid_orders_are_not_listed(sandbox, http):
    shop, now = demo_shop("jd"), datetime.now(UTC)
    paid = generate_order(sandbox.state, shop, now=now)
    generate_order(sandbox.state, shop, status="pending_payment", now=now)
    pages = list(Client(shop_auth(sandbox, "jd"), http).fetch_orders(now - timedelta(minutes=5), now))
    assert [raw["orderId"] for page in pages for raw in page] == [paid.order_id]


def test_throttling_is_waited_out_and_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("jd"), now=datetime.now(UTC))
    sandbox.state.faults.throttle_next = 2
    assert Client(shop_auth(sandbox, "jd"), http).fetch_order(order.order_id)["orderId"] == order.order_id
    assert len(sandbox.state.calls) == 3


def test_a_server_error_is_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("jd"), now=datetime.now(UTC))
    sandbox.state.faults.fail_next = 1
    assert Client(shop_auth(sandbox, "jd"), http).fetch_order(order.order_id)["orderId"] == order.order_id
    assert len(sandbox.state.calls) == 2


def test_bad_access_token_raises_auth_expired(sandbox, http):
    with pytest.raises(AuthExpired) as caught:
        Client(shop_auth(sandbox, "jd", access_token="revoked"), http).fetch_order("1")
    assert caught.value.code == "19"
    assert len(sandbox.state.calls) == 1


def test_bad_signature_is_refused(sandbox, http):
    with pytest.raises(PlatformError) as caught:
        Client(shop_auth(sandbox, "jd", app_secret="wrong-secret"), http).fetch_order("1")
    assert not isinstance(caught.value, AuthExpired)
    assert caught.value.code == "12"


def test_fetch_order_returns_the_detail_of_that_order(sandbox, http):
    shop, now = demo_shop("jd"), datetime.now(UTC)
    order = with_coupon(generate_order(sandbox.state, shop, now=now))
    advance_order(sandbox.state, order, "shipped", now=now)
    assert_matches(normalize(Client(shop_auth(sandbox, "jd"), http).fetch_order(order.order_id)), order)


def test_fetch_order_of_an_unknown_id_is_a_platform_error(sandbox, http):
    with pytest.raises(PlatformError, match="not found"):
        Client(shop_auth(sandbox, "jd"), http).fetch_order("404")


# --- round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raw_status"),
    [
        ("paid", "WAIT_SELLER_STOCK_OUT"),
        ("shipped", "WAIT_GOODS_RECEIVE_CONFIRM"),
        ("completed", "FINISHED_L"),
        ("cancelled", "TRADE_CANCELED"),
    ],
)
def test_rendered_order_normalizes_back(state, status, raw_status):
    # Given a sandbox order with a shop coupon, in each status JD lists
    order = with_coupon(generate_order(state, demo_shop("jd"), status=status, now=datetime.now(UTC)))
    # When rendered as JD renders it and normalized, then ids, status, amounts and lines come back
    normalized = normalize(sandbox_jd.render_order(order))
    assert_matches(normalized, order)
    assert normalized.raw_status == raw_status


def test_unpaid_orders_cannot_be_rendered(state):
    order = generate_order(state, demo_shop("jd"), status="pending_payment", now=datetime.now(UTC))
    with pytest.raises(ValueError, match="JD lists no pending_payment orders"):
        sandbox_jd.render_order(order)
