"""Youzan: fixtures, error mapping, push handling, and pulls against the sandbox over HTTP."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.youzan import ADAPTER
from channels_sync.platforms.youzan.client import PAGE_DEPTH_LIMIT, Client, event_sign, unwrap
from channels_sync.platforms.youzan.mapping import extract_orders, normalize
from channels_sync.platforms.youzan.push import parse, reply, shop_id_of, verify
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import youzan as sandbox_youzan
from tests.channels_sync.conftest import shop_auth
from tests.conftest import load_fixture

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LIST_PATH = "/api/youzan.trades.sold.get/4.0.4"


def vector():
    return next(v for v in load_fixture("_signing_vectors.json")["vectors"] if v["platform"] == "youzan_push")


def raw_bytes(name: str) -> bytes:
    return json.dumps(load_fixture(f"youzan/{name}"), ensure_ascii=False).encode()


def list_calls(sandbox) -> int:
    return sum(1 for platform, path in sandbox.state.calls if platform == "youzan" and path == LIST_PATH)


def pull(client, start, end) -> list[dict]:
    return [order for page in client.fetch_orders(start, end) for order in page]


# --- signing -------------------------------------------------------------------------------------


def test_event_sign_matches_the_vector():
    given = vector()
    signature = event_sign(given["client_id"], given["raw_body"].encode(), given["secret"])
    assert signature == given["sign"]


def test_legacy_body_sign_is_the_same_md5_over_msg():
    given = vector()
    msg = json.loads(given["raw_body"])["msg"]
    assert event_sign(given["client_id"], msg.encode(), given["secret"]) == given["legacy_body_sign"]


# --- fixtures ------------------------------------------------------------------------------------


def assert_is_the_2021_paid_trade(order):
    assert order.platform == "youzan"
    assert order.platform_order_id == "E20210322174110094800093"
    assert (order.status, order.raw_status) == ("paid", "TRADE_PAID")
    assert order.currency == "CNY"
    assert order.goods_amount == Decimal("0.02")
    assert order.shipping_fee == Decimal("0.00")
    assert order.discount == Decimal("0.00")
    assert order.paid_amount == Decimal("0.02")
    assert order.created_at == datetime(2021, 3, 22, 9, 41, 11, tzinfo=UTC)
    assert order.paid_at == datetime(2021, 3, 22, 9, 41, 15, tzinfo=UTC)
    assert order.updated_at == datetime(2021, 3, 22, 9, 41, 16, tzinfo=UTC)
    assert order.buyer_id == "wKozXUzB709060524846944256"
    assert order.buyer_remark == ""
    assert order.receiver.name == "马晓栋"
    assert order.receiver.phone == "18017720511"
    assert (order.receiver.province, order.receiver.city, order.receiver.district) == (
        "上海市",
        "上海市",
        "嘉定区",
    )
    assert order.receiver.detail == "绿洲·丰怡园(上海市嘉定区)22号504 "
    first, second = order.lines
    assert first.platform_sku_id == "37201610"
    assert first.outer_sku_code == "200107001"
    assert first.title == "ICP许可（测试用）"
    assert first.quantity == 1
    assert (first.unit_price, first.paid_amount) == (Decimal("0.01"), Decimal("0.01"))
    assert first.platform_line_id == "2795255370608541715"
    assert (second.platform_sku_id, second.outer_sku_code) == ("37196971", "200107010")
    assert second.platform_line_id == "2795255370608541716"
    assert order.flags == frozenset()


def test_trades_sold_get_sample_normalizes():
    given = load_fixture("youzan/trades_sold_get.json")
    (raw,) = extract_orders(given)
    order = normalize(raw)
    assert_is_the_2021_paid_trade(order)
    assert order.platform_shop_id == ""


def test_trade_paid_push_carries_the_whole_order_with_its_shop():
    given = load_fixture("youzan/push_trade_TradePaid.json")
    (raw,) = extract_orders(given)
    order = normalize(raw)
    assert_is_the_2021_paid_trade(order)
    assert order.platform_shop_id == "13027865"


def test_decoded_trade_paid_msg_normalizes_like_a_detail():
    given = load_fixture("youzan/push_trade_TradePaid_msg_decoded.json")
    (raw,) = extract_orders(given)
    assert_is_the_2021_paid_trade(normalize(raw))


def test_trade_paid_push_parses_to_an_order_message_without_fetch():
    (message,) = parse({}, raw_bytes("push_trade_TradePaid.json"))
    assert message.kind == "order"
    assert message.topic == "trade_TradePaid"
    assert message.external_id == "E20210322174110094800093"
    assert message.message_id == "c137cd44-3f8e-4fd8-9a76-dc664143524e:1616406076"
    assert message.platform_shop_id == "13027865"
    assert message.needs_fetch is False
    assert normalize(extract_orders(message.payload)[0]).platform_order_id == "E20210322174110094800093"


def test_trade_success_push_is_a_trigger_only():
    given = load_fixture("youzan/push_trade_TradeSuccess.json")
    (message,) = parse({}, raw_bytes("push_trade_TradeSuccess.json"))
    assert (message.kind, message.external_id) == ("order", "E20210307175649090904167")
    assert message.message_id == "dbda5478-76bf-4172-ac14-8d5ebac2002d:1615111582"
    assert message.needs_fetch is True
    with pytest.raises(PayloadError, match="announces order E20210307175649090904167 only; fetch the detail"):
        extract_orders(given)


def test_refund_push_parses_to_a_refund_message():
    (message,) = parse({}, raw_bytes("push_trade_refund_BuyerCreated.json"))
    assert message.kind == "refund"
    assert message.external_id == "202209011552353952310720"
    assert message.order_id == "E20220901102943072006201"
    assert message.platform_shop_id == "111301484"
    assert message.message_id == "59db1a32-7bfb-4a6c-a34f-76edc894faab:1662018756"


def test_reply_is_the_success_shape_youzan_expects():
    assert reply(True).status == 200
    assert reply(True).body == load_fixture("youzan/push_reply_success.json")
    assert "success" not in json.dumps(reply(False).body)


def test_verify_checks_event_sign_and_client_id():
    given = vector()
    body = given["raw_body"].encode()
    auth = ShopAuth(app_key=given["client_id"], app_secret=given["secret"])
    headers = {
        "event-sign": given["sign"],
        "client-id": given["client_id"],
        "event-type": "trade_TradeSuccess",
    }
    assert verify(headers, body, auth) is True
    assert verify(headers, body, ShopAuth(app_key=given["client_id"], app_secret="other")) is False
    assert verify(headers, body.replace(b"13027865", b"13027866"), auth) is False
    assert verify({**headers, "client-id": "someone-else"}, body, auth) is False
    assert verify({}, body, auth) is False


def test_shop_id_of_reads_kdt_id():
    assert shop_id_of({}, raw_bytes("push_trade_TradePaid.json")) == "13027865"


# --- errors and bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4201, 4202, 4203, "4203"])
def test_token_gateway_errors_are_auth_expired(code):
    with pytest.raises(AuthExpired) as caught:
        unwrap({"gw_err_resp": {"trace_id": "yz7-x", "err_msg": "Token 不存在", "err_code": code}})
    assert caught.value.code == str(code)


@pytest.mark.parametrize(
    "body",
    [
        {"gw_err_resp": {"err_msg": "请求太频繁", "err_code": 4101}},
        {"code": 123000042, "success": False, "message": "请求被限流"},
        {"msg": "请求被限流", "code": 500100004},
    ],
)
def test_throttle_answers_are_rate_limited(body):
    with pytest.raises(RateLimited) as caught:
        unwrap(body)
    assert caught.value.retry_after == 3


def test_business_errors_are_platform_errors_with_their_code():
    with pytest.raises(PlatformError) as caught:
        unwrap({"code": 5000, "data": None, "success": False, "message": "trade not found"})
    assert caught.value.code == "5000"
    assert not isinstance(caught.value, AuthExpired | RateLimited)


def test_unknown_status_is_refused_not_guessed():
    raw = load_fixture("youzan/push_trade_TradePaid_msg_decoded.json")
    raw["full_order_info"]["order_info"]["status"] = "TRADE_MYSTERY"
    with pytest.raises(PayloadError, match="unknown order status 'TRADE_MYSTERY'"):
        normalize(raw)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"full_order_info": None},
        {"full_order_info": {"order_info": {"tid": "E1", "status": "TRADE_PAID"}, "orders": [{"oid": "1"}]}},
    ],
)
def test_malformed_orders_raise_payload_error(raw):
    with pytest.raises(PayloadError):
        normalize(raw)


def test_float_ids_are_refused():
    raw = load_fixture("youzan/push_trade_TradePaid_msg_decoded.json")
    raw["full_order_info"]["orders"][0]["sku_id"] = 3.7201610e7
    with pytest.raises(PayloadError, match="must be an integer or a string"):
        normalize(raw)


@pytest.mark.parametrize(
    "payload", [b"{oops", 42, {"something": "else"}, {"msg": "%7Bbroken", "type": "trade_X"}]
)
def test_unreadable_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        extract_orders(payload)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"type": "trade_TradePaid"}'])
def test_malformed_push_bodies_raise_payload_error(body):
    with pytest.raises(PayloadError):
        parse({}, body)


# --- against the sandbox -------------------------------------------------------------------------


def make_orders(sandbox, count, *, status="paid", start=NOW, step=timedelta(seconds=1)):
    shop = demo_shop("youzan")
    return [generate_order(sandbox.state, shop, status=status, now=start + step * i) for i in range(count)]


def test_full_pull_over_several_pages_returns_every_order_once(sandbox, http):
    orders = make_orders(sandbox, 230)
    client = Client(shop_auth(sandbox, "youzan"), http)
    pulled = pull(client, NOW - timedelta(minutes=5), NOW + timedelta(hours=1))
    ids = [normalize(raw).platform_order_id for raw in pulled]
    assert sorted(ids) == sorted(o.order_id for o in orders)
    # Page 1 tells the total; then pages 3, 2, 1 are read backwards.
    assert list_calls(sandbox) == 4


def test_window_longer_than_three_months_is_split(sandbox, http):
    orders = make_orders(sandbox, 10, step=timedelta(days=12))
    client = Client(shop_auth(sandbox, "youzan"), http)
    pulled = pull(client, NOW - timedelta(days=1), NOW + timedelta(days=120))
    assert sorted(normalize(raw).platform_order_id for raw in pulled) == sorted(o.order_id for o in orders)
    assert list_calls(sandbox) == 2


def test_sandbox_refuses_a_window_over_three_months(sandbox, http):
    client = Client(shop_auth(sandbox, "youzan"), http)
    client.window_limit = timedelta(days=120)
    with pytest.raises(PlatformError) as caught:
        pull(client, NOW, NOW + timedelta(days=100))
    assert caught.value.code == "5000"


def test_sandbox_refuses_pages_over_100(sandbox, http):
    url = f"{sandbox.base_url('youzan')}{LIST_PATH}"
    params = {"start_update": "2026-03-01 00:00:00", "end_update": "2026-03-02 00:00:00", "page_no": 1}
    answer = http.post(
        url, params={"access_token": demo_shop("youzan").access_token}, json=params | {"page_size": 101}
    )
    assert answer.json()["success"] is False
    assert answer.json()["message"] == "每页最多显示100条数据"


def test_more_orders_than_the_page_depth_cap_are_read_by_halving_the_window(sandbox, http):
    orders = make_orders(sandbox, PAGE_DEPTH_LIMIT + 100)
    client = Client(shop_auth(sandbox, "youzan"), http)
    pulled = pull(client, NOW, NOW + timedelta(hours=2))
    assert len(pulled) == len(orders)
    assert {order_of["full_order_info"]["order_info"]["tid"] for order_of in pulled} == {
        o.order_id for o in orders
    }


def test_throttling_is_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.throttle_next = 2
    client = Client(shop_auth(sandbox, "youzan"), http)
    assert len(pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))) == 3
    assert list_calls(sandbox) == 3


def test_server_errors_are_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.fail_next = 1
    client = Client(shop_auth(sandbox, "youzan"), http)
    assert len(pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))) == 3


def test_a_bad_token_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "youzan", access_token="not-a-token"), http)
    with pytest.raises(AuthExpired) as caught:
        pull(client, NOW, NOW + timedelta(minutes=1))
    assert caught.value.code == "4203"


def test_without_a_token_the_client_gets_a_silent_one(sandbox, http):
    make_orders(sandbox, 2)
    client = Client(shop_auth(sandbox, "youzan", access_token=""), http)
    assert len(pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))) == 2
    assert ("youzan", "/auth/token") in sandbox.state.calls


def test_a_silent_token_the_gateway_rejects_is_renewed_once(sandbox, http):
    (order,) = make_orders(sandbox, 1)
    client = Client(shop_auth(sandbox, "youzan", access_token=""), http)
    client._token = "expired-silent-token"
    assert normalize(client.fetch_order(order.order_id)).platform_order_id == order.order_id
    assert sandbox.state.calls.count(("youzan", "/auth/token")) == 1


def test_wrong_client_secret_is_refused_by_the_sandbox(sandbox, http):
    client = Client(shop_auth(sandbox, "youzan", access_token="", app_secret="wrong-secret"), http)
    with pytest.raises(AuthExpired) as caught:
        pull(client, NOW, NOW + timedelta(minutes=1))
    assert caught.value.code == "1000"


def test_fetch_order_returns_the_same_order_as_the_list(sandbox, http):
    (order,) = make_orders(sandbox, 1)
    client = Client(shop_auth(sandbox, "youzan"), http)
    (listed,) = pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))
    assert normalize(client.fetch_order(order.order_id)) == normalize(listed)


def test_fetch_order_of_an_unknown_trade_is_a_platform_error(sandbox, http):
    client = Client(shop_auth(sandbox, "youzan"), http)
    with pytest.raises(PlatformError) as caught:
        client.fetch_order("E00000000000000000000000")
    assert caught.value.code == "5000"


def push_of(order, hook_url="http://testserver/webhooks/youzan"):
    shop = demo_shop("youzan")
    body = sandbox_youzan.push_body(order, shop)
    headers = {k.lower(): v for k, v in sandbox_youzan.push_headers(body, shop, hook_url).items()}
    return headers, body


def test_sandbox_push_verifies_and_carries_the_paid_order(sandbox):
    (order,) = make_orders(sandbox, 1)
    headers, body = push_of(order)
    auth = ShopAuth(app_key=demo_shop("youzan").app_key, app_secret=demo_shop("youzan").app_secret)
    assert verify(headers, body, auth) is True
    assert verify(headers, body, ShopAuth(app_key=auth.app_key, app_secret="wrong")) is False
    assert verify(headers, body.replace(b'"sendCount": 1', b'"sendCount": 2'), auth) is False
    (message,) = parse(headers, body)
    assert (message.kind, message.topic, message.external_id) == ("order", "trade_TradePaid", order.order_id)
    assert message.needs_fetch is False
    assert shop_id_of(headers, body) == demo_shop("youzan").shop_id
    pushed = normalize(extract_orders(json.loads(body))[0])
    assert pushed.platform_order_id == order.order_id
    assert pushed.platform_shop_id == demo_shop("youzan").shop_id


def test_sandbox_push_for_a_shipment_is_a_trigger(sandbox):
    (order,) = make_orders(sandbox, 1)
    advance_order(sandbox.state, order, "shipped", now=NOW + timedelta(minutes=5))
    headers, body = push_of(order)
    (message,) = parse(headers, body)
    assert (message.topic, message.needs_fetch) == ("trade_TradeSellerShip", True)
    assert message.message_id.endswith(f":{int(order.updated_at.timestamp())}")
    with pytest.raises(PayloadError, match=f"announces order {order.order_id} only"):
        extract_orders(json.loads(body))


@pytest.mark.parametrize(
    ("status", "raw_status"),
    [
        ("pending_payment", "WAIT_BUYER_PAY"),
        ("paid", "WAIT_SELLER_SEND_GOODS"),
        ("shipped", "WAIT_BUYER_CONFIRM_GOODS"),
        ("completed", "TRADE_SUCCESS"),
        ("cancelled", "TRADE_CLOSE"),
    ],
)
def test_render_then_normalize_round_trips(sandbox, status, raw_status):
    shop = demo_shop("youzan")
    for index in range(8):  # enough orders to meet shipping fees, coupons and several lines
        order = generate_order(sandbox.state, shop, status=status, now=NOW + timedelta(minutes=index))
        normalized = normalize(sandbox_youzan.render_order(order))
        assert normalized.platform_order_id == order.order_id
        assert (normalized.status, normalized.raw_status) == (status, raw_status)
        assert normalized.goods_amount == order.goods_amount
        assert normalized.shipping_fee == order.shipping_fee
        assert normalized.discount == order.discount
        assert normalized.paid_amount == order.goods_amount + order.shipping_fee - order.discount
        assert normalized.updated_at == order.updated_at.replace(microsecond=0)
        assert normalized.buyer_id == order.buyer_id
        assert normalized.receiver.name == order.receiver_name
        assert [
            (line.platform_sku_id, line.outer_sku_code, line.quantity, line.unit_price, line.paid_amount)
            for line in normalized.lines
        ] == [
            (line.platform_sku_id, line.sku_code, line.quantity, line.unit_price, line.paid_amount)
            for line in order.lines
        ]


def test_adapter_names_the_pieces():
    assert ADAPTER.name == "youzan"
    assert ADAPTER.default_base_url == "https://open.youzanyun.com"
    assert ADAPTER.push is not None
