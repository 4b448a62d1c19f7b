import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.douyin import ADAPTER
from channels_sync.platforms.douyin.client import SEARCH_METHOD, Client, check_response, param_json, sign
from channels_sync.platforms.douyin.mapping import extract_orders, normalize
from channels_sync.platforms.douyin.push import PUSH_HANDLER, event_sign
from channels_sync.platforms.registry import get_adapter
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import douyin as sandbox_douyin
from tests.channels_sync.conftest import shop_auth

NOW = datetime(2026, 3, 2, 8, 30, 15, 250000, tzinfo=UTC)
ORDER_ID = "6936476692437472563"  # beyond 2^53


def vector(fixture_json, platform):
    return next(v for v in fixture_json("_signing_vectors.json")["vectors"] if v["platform"] == platform)


@pytest.fixture
def recorded():
    """An HTTP client that remembers every call's query and param_json."""
    sent: list[dict] = []

    def remember(request: httpx.Request):
        sent.append({"query": dict(request.url.params), "params": json.loads(request.content)})

    with httpx.Client(timeout=10, event_hooks={"request": [remember]}) as client:
        yield client, sent


# --- signing and error mapping -------------------------------------------------------------------


def test_sign_matches_the_doudian_vector(fixture_json):
    given = vector(fixture_json, "doudian")
    params = given["params"]

    signed = sign(
        params["app_key"], given["secret"], params["method"], params["param_json"], params["timestamp"]
    )

    assert signed == given["sign"]


def test_param_json_is_the_vectors_canonical_form(fixture_json):
    given = vector(fixture_json, "doudian")["params"]["param_json"]

    assert param_json(json.loads(given)) == given


def test_param_json_sorts_nested_keys_and_escapes_nothing():
    assert param_json({"b": {"z": 1, "a": "<&>中"}, "a": [{"y": 2, "x": 1}]}) == (
        '{"a":[{"x":1,"y":2}],"b":{"a":"<&>中","z":1}}'
    )


def test_event_sign_matches_the_push_vector(fixture_json):
    given = vector(fixture_json, "doudian_push")
    auth = ShopAuth(app_key=given["app_key"], app_secret=given["secret"])
    body = given["raw_body"].encode()

    assert event_sign(body, given["app_key"], given["secret"]) == given["sign"]
    assert PUSH_HANDLER.verify({"event-sign": given["sign"], "app-id": given["app_key"]}, body, auth)
    assert not PUSH_HANDLER.verify({"event-sign": given["sign"], "app-id": "7000000000000000001"}, body, auth)


def test_the_throttle_code_maps_to_rate_limited():
    with pytest.raises(RateLimited) as raised:
        check_response({"code": 60000, "msg": "触发限流，请稍后重试", "sub_code": "", "data": None})

    assert raised.value.retry_after > 0


@pytest.mark.parametrize("sub_code", ["isv.access-token-expired", "isv.access-token-no-existed"])
def test_token_failures_map_to_auth_expired(sub_code):
    with pytest.raises(AuthExpired):
        check_response({"code": 40003, "msg": "非法的参数（平台校验）", "sub_code": sub_code})


def test_a_signature_failure_is_a_plain_platform_error():
    with pytest.raises(PlatformError) as raised:
        check_response({"code": 40003, "msg": "非法的参数（平台校验）", "sub_code": "isv.signature-invalid"})

    assert not isinstance(raised.value, AuthExpired | RateLimited)
    assert raised.value.code == "40003"


# --- samples -------------------------------------------------------------------------------------


def assert_is_the_sample_order(order):
    assert order.platform == "douyin"
    assert order.platform_order_id == ORDER_ID
    assert (order.status, order.raw_status) == ("cancelled", "4")
    assert order.goods_amount == Decimal("0.01")
    assert order.shipping_fee == Decimal("0.00")
    assert order.discount == Decimal("0.00")
    assert order.paid_amount == Decimal("0.01")
    assert order.created_at == datetime(2024, 11, 18, 7, 55, 51, tzinfo=UTC)
    assert order.paid_at == datetime(2024, 11, 18, 7, 56, 0, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 11, 19, 3, 24, 5, tzinfo=UTC)
    assert order.platform_shop_id == "7784061"
    assert order.buyer_id.startswith("1@#VrtJKX59")
    assert order.seller_remark.startswith("付款后发货失败")
    assert order.receiver.name.startswith("##qIOpbLPevlQwA6f") and order.receiver.name.endswith("#1##")
    assert order.receiver.phone.startswith("$$KlqdO3S6") and order.receiver.phone.endswith("$1$$")
    assert (order.receiver.province, order.receiver.city, order.receiver.district) == (
        "福建省",
        "厦门市",
        "思明区",
    )
    assert order.receiver.detail.startswith("##i688Hg7Kf5y7")
    [line] = order.lines
    assert line.platform_sku_id == "3410716076201730"
    assert line.outer_sku_code == "112233"
    assert line.title == "办公椅，测试商品，勿拍"
    assert line.quantity == 1
    assert line.unit_price == Decimal("0.01")
    assert line.paid_amount == Decimal("0.01")
    assert line.platform_line_id == ORDER_ID


def test_order_search_list_sample_normalizes(fixture_json):
    [raw] = extract_orders(fixture_json("doudian/order_searchList.json"))

    assert_is_the_sample_order(normalize(raw))


def test_order_detail_sample_normalizes(fixture_json):
    [raw] = extract_orders(fixture_json("doudian/order_orderDetail.json"))

    assert_is_the_sample_order(normalize(raw))


def test_the_sample_push_body_parses_to_triggers(fixture_json):
    body = json.dumps(fixture_json("doudian/push_body_messages.json")).encode()

    created, paid, refunded = PUSH_HANDLER.parse({}, body)

    assert (created.kind, created.topic, created.external_id) == ("order", "100", ORDER_ID)
    assert (paid.kind, paid.topic, paid.message_id) == ("order", "101", "7438525010135810002")
    assert (refunded.kind, refunded.topic) == ("refund", "206")
    assert refunded.external_id == "7438600000000000001"
    assert refunded.order_id == ORDER_ID
    assert all(
        message.needs_fetch and message.platform_shop_id == "7784061" for message in (created, paid, refunded)
    )
    assert PUSH_HANDLER.shop_id_of({}, body) == "7784061"


def test_a_push_body_carries_no_order(fixture_json):
    with pytest.raises(PayloadError, match=f"announces order {ORDER_ID} only; fetch the detail"):
        extract_orders(json.dumps(fixture_json("doudian/push_body_messages.json")))


def test_the_reply_is_doudians_success(fixture_json):
    assert PUSH_HANDLER.reply(True).body == fixture_json("doudian/push_reply_success.json")
    assert PUSH_HANDLER.reply(False).body != fixture_json("doudian/push_reply_success.json")


# --- status table and bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "flags"),
    [
        (1, "pending_payment", set()),
        (105, "paid", set()),
        (2, "paid", set()),
        (101, "paid", {"partially_shipped"}),
        (3, "shipped", set()),
        (5, "completed", set()),
        (4, "cancelled", set()),
    ],
)
def test_status_table(fixture_json, code, status, flags):
    [raw] = extract_orders(fixture_json("doudian/order_orderDetail.json"))

    order = normalize({**raw, "order_status": code})

    assert (order.status, order.raw_status, set(order.flags)) == (status, str(code), flags)


def test_an_unknown_status_is_refused_not_guessed(fixture_json):
    [raw] = extract_orders(fixture_json("doudian/order_orderDetail.json"))

    with pytest.raises(PayloadError, match="unknown order_status 99"):
        normalize({**raw, "order_status": 99})


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"order_id": "1"},
        {"order_id": "1", "order_status": 2, "sku_order_list": [{}]},
        {"order_id": "1", "order_status": 2, "post_addr": "x"},
    ],
)
def test_unreadable_orders_raise_payload_error(bad):
    with pytest.raises(PayloadError):
        normalize(bad)


@pytest.mark.parametrize(
    "bad", [b"[", b'[{"tag": "100"}]', {"code": 40003, "sub_code": "x"}, {"data": {}}, 7]
)
def test_unreadable_payloads_raise_payload_error(bad):
    with pytest.raises(PayloadError):
        extract_orders(bad)


@pytest.mark.parametrize(
    "bad",
    [
        b"[",
        b"{}",
        b'[{"tag": "101", "msg_id": "1", "data": "{}"}]',
        b'[{"tag": "x", "msg_id": "1", "data": "{}"}]',
        b'[{"tag": "100", "msg_id": "1", "data": "[1]"}]',
    ],
)
def test_malformed_push_bodies_raise_payload_error(bad):
    with pytest.raises(PayloadError):
        PUSH_HANDLER.parse({}, bad)


def test_a_push_mixing_shops_names_no_shop():
    body = json.dumps(
        [
            {"tag": "101", "msg_id": "1", "data": json.dumps({"p_id": 1, "shop_id": 1})},
            {"tag": "101", "msg_id": "2", "data": json.dumps({"p_id": 2, "shop_id": 2})},
        ]
    ).encode()

    with pytest.raises(PayloadError, match="expected exactly one"):
        PUSH_HANDLER.shop_id_of({}, body)


def test_the_registry_serves_the_douyin_adapter():
    assert get_adapter("douyin") is ADAPTER
    assert ADAPTER.default_base_url == "https://openapi-fxg.jinritemai.com"


# --- against the sandbox ---------------------------------------------------------------------------


def test_a_full_pull_returns_every_order_once(sandbox, recorded):
    http, sent = recorded
    made = {generate_order(sandbox.state, demo_shop("douyin"), now=NOW).order_id for _ in range(230)}
    client = Client(shop_auth(sandbox, "douyin"), http)

    pulled = [
        order
        for page in client.fetch_orders(NOW - timedelta(minutes=20), NOW + timedelta(minutes=1))
        for order in page
    ]

    assert len(pulled) == 230
    assert {order["order_id"] for order in pulled} == made
    assert all(normalize(order).status == "paid" for order in pulled)
    assert [call["params"]["page"] for call in sent] == [0, 1, 2]
    assert all(call["params"]["size"] == 100 and call["query"]["method"] == SEARCH_METHOD for call in sent)


def test_a_long_window_is_cut_into_30_minute_slices(sandbox, recorded):
    http, sent = recorded
    made = {
        generate_order(sandbox.state, demo_shop("douyin"), now=NOW + timedelta(minutes=7 * k)).order_id
        for k in range(20)
    }
    client = Client(shop_auth(sandbox, "douyin"), http)

    pulled = [
        o["order_id"]
        for page in client.fetch_orders(NOW - timedelta(minutes=1), NOW + timedelta(hours=3))
        for o in page
    ]

    assert sorted(pulled) == sorted(made)
    spans = [call["params"]["update_time_end"] - call["params"]["update_time_start"] for call in sent]
    assert len(spans) == 7
    assert max(spans) <= 1800


def test_the_sandbox_refuses_a_long_window_and_big_pages(sandbox, http):
    client = Client(shop_auth(sandbox, "douyin"), http)
    start = int(NOW.timestamp())

    with pytest.raises(PlatformError) as too_long:
        client.call(
            SEARCH_METHOD,
            {"update_time_start": start, "update_time_end": start + 1801, "page": 0, "size": 10},
        )
    with pytest.raises(PlatformError) as too_big:
        client.call(
            SEARCH_METHOD, {"update_time_start": start, "update_time_end": start + 60, "page": 0, "size": 101}
        )

    assert too_long.value.code == too_big.value.code == "40004"


def test_throttling_is_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("douyin"), now=NOW)
    sandbox.state.faults.throttle_next = 2

    raw = Client(shop_auth(sandbox, "douyin"), http).fetch_order(order.order_id)

    assert raw["order_id"] == order.order_id
    assert len(sandbox.state.calls) == 3


def test_a_server_error_is_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("douyin"), now=NOW)
    sandbox.state.faults.fail_next = 1

    raw = Client(shop_auth(sandbox, "douyin"), http).fetch_order(order.order_id)

    assert raw["order_id"] == order.order_id
    assert len(sandbox.state.calls) == 2


def test_a_bad_token_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "douyin", access_token="revoked"), http)

    with pytest.raises(AuthExpired):
        list(client.fetch_orders(NOW - timedelta(minutes=5), NOW))


def test_a_bad_signature_is_refused(sandbox, http):
    client = Client(shop_auth(sandbox, "douyin", app_secret="not-the-secret"), http)

    with pytest.raises(PlatformError) as raised:
        client.fetch_order(ORDER_ID)

    assert raised.value.code == "40003"
    assert "isv.signature-invalid" in str(raised.value)
    assert not isinstance(raised.value, AuthExpired)


def test_fetch_order_returns_the_same_order_as_the_list(sandbox, http):
    made = generate_order(sandbox.state, demo_shop("douyin"), now=NOW)
    advance_order(sandbox.state, made, "shipped", now=NOW + timedelta(minutes=1))
    client = Client(shop_auth(sandbox, "douyin"), http)

    [[listed]] = client.fetch_orders(NOW, NOW + timedelta(minutes=5))
    detail = client.fetch_order(made.order_id)

    assert normalize(detail) == normalize(listed)
    assert normalize(detail).status == "shipped"
    assert normalize(detail).platform_order_id == made.order_id


def auth_for(shop, **overrides) -> ShopAuth:
    values = {"app_key": shop.app_key, "app_secret": shop.app_secret, "platform_shop_id": shop.shop_id}
    return ShopAuth(**(values | overrides))


def test_a_sandbox_push_verifies_and_parses(sandbox):
    shop = demo_shop("douyin")
    order = generate_order(sandbox.state, shop, now=NOW)
    body = sandbox_douyin.push_body(order, shop)
    headers = {
        k.lower(): v for k, v in sandbox_douyin.push_headers(body, shop, "http://orderhub.test/h").items()
    }

    assert PUSH_HANDLER.verify(headers, body, auth_for(shop))
    assert not PUSH_HANDLER.verify(headers, body, auth_for(shop, app_secret="wrong"))
    assert not PUSH_HANDLER.verify(headers, body.replace(b'"101"', b'"102"'), auth_for(shop))
    assert PUSH_HANDLER.shop_id_of(headers, body) == shop.shop_id
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.topic, message.external_id) == ("order", "101", order.order_id)
    assert message.needs_fetch is True


@pytest.mark.parametrize("status", ["pending_payment", "paid", "shipped", "completed", "cancelled"])
def test_render_then_normalize_round_trips(sandbox, status):
    shop = demo_shop("douyin")
    fakes = [generate_order(sandbox.state, shop, status=status, now=NOW) for _ in range(40)]
    assert any(fake.discount for fake in fakes) and any(len(fake.lines) > 1 for fake in fakes)

    for fake in fakes:
        order = normalize(sandbox_douyin.render_order(fake))

        assert order.platform_order_id == fake.order_id
        assert order.status == status
        assert order.platform_shop_id == shop.shop_id
        assert order.goods_amount == fake.goods_amount
        assert order.shipping_fee == fake.shipping_fee
        assert order.discount == fake.discount
        assert order.paid_amount == fake.paid_amount == fake.goods_amount + fake.shipping_fee - fake.discount
        assert order.updated_at == fake.updated_at.replace(microsecond=0)
        assert [
            (x.platform_sku_id, x.outer_sku_code, x.title, x.quantity, x.unit_price, x.paid_amount)
            for x in order.lines
        ] == [
            (y.platform_sku_id, y.sku_code, y.title, y.quantity, y.unit_price, y.paid_amount)
            for y in fake.lines
        ]
