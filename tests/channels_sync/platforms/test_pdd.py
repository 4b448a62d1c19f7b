import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.pdd import ADAPTER
from channels_sync.platforms.pdd.client import (
    INCREMENT_API,
    INCREMENT_ROOT,
    Client,
    check_response,
    sign,
)
from channels_sync.platforms.pdd.mapping import extract_orders, normalize
from channels_sync.platforms.pdd.push import PUSH_HANDLER
from channels_sync.platforms.registry import get_adapter
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import pdd as sandbox_pdd
from tests.channels_sync.conftest import shop_auth

NOW = datetime(2026, 3, 2, 8, 30, 15, 250000, tzinfo=UTC)


def pdd_vector(fixture_json):
    return next(v for v in fixture_json("_signing_vectors.json")["vectors"] if v["platform"] == "pdd")


@pytest.fixture
def recorded():
    """An HTTP client that remembers every form it posts."""
    sent: list[dict[str, str]] = []
    hooks = {"request": [lambda request: sent.append(dict(parse_qsl(request.content.decode())))]}
    with httpx.Client(timeout=10, event_hooks=hooks) as client:
        yield client, sent


def order_in(orders, order_sn):
    return next(order for order in orders if order.platform_order_id == order_sn)


# --- signing and error mapping -------------------------------------------------------------------


def test_sign_matches_the_pdd_vector(fixture_json):
    vector = pdd_vector(fixture_json)

    assert sign(vector["params"], vector["secret"]) == vector["sign"]


def test_sign_ignores_an_existing_sign_param(fixture_json):
    vector = pdd_vector(fixture_json)

    assert sign({**vector["params"], "sign": "STALE"}, vector["secret"]) == vector["sign"]


def test_the_expired_token_sample_maps_to_auth_expired(fixture_json):
    body = fixture_json("pdd/error_access_token_expired.json")

    with pytest.raises(AuthExpired) as raised:
        check_response(body, INCREMENT_ROOT)

    assert raised.value.code == "10019"


def test_the_throttle_code_maps_to_rate_limited():
    body = {"error_response": {"error_code": 70031, "error_msg": "调用过于频繁"}}

    with pytest.raises(RateLimited) as raised:
        check_response(body, INCREMENT_ROOT)

    assert raised.value.retry_after > 0


def test_other_errors_map_to_platform_error_with_their_code():
    body = {"error_response": {"error_code": 20004, "error_msg": "签名验证失败"}}

    with pytest.raises(PlatformError) as raised:
        check_response(body, INCREMENT_ROOT)

    assert not isinstance(raised.value, AuthExpired | RateLimited)
    assert raised.value.code == "20004"


# --- samples -------------------------------------------------------------------------------------


def test_order_information_get_sample_normalizes(fixture_json):
    payload = fixture_json("pdd/order_information_get.json")

    [raw] = extract_orders(payload)
    order = normalize(raw)

    assert order.platform == "pdd"
    assert order.platform_order_id == "180831-481803633911509"
    assert (order.status, order.raw_status) == ("paid", "1")
    assert order.goods_amount == Decimal("11.01")
    assert order.shipping_fee == Decimal("0.00")
    assert order.discount == Decimal("0.00")
    assert order.paid_amount == Decimal("11.01")
    assert order.created_at == datetime(2018, 8, 31, 2, 42, 33, tzinfo=UTC)
    assert order.paid_at == datetime(2018, 8, 31, 2, 42, 33, tzinfo=UTC)
    assert order.updated_at == datetime(2018, 8, 31, 2, 42, 33, tzinfo=UTC)
    assert order.receiver.name == "展护卫"
    assert order.receiver.phone == "18667163376"
    assert (order.receiver.province, order.receiver.city, order.receiver.district) == (
        "上海市",
        "上海市",
        "长宁区",
    )
    assert order.receiver.detail == "上海市上海市长宁区娄山关路533号金虹桥国际中心28楼拼多多"
    [line] = order.lines
    assert line.platform_sku_id == "51972265894"
    assert line.outer_sku_code == ""
    assert line.title == "全国联保只换不修必开发票测试"
    assert line.quantity == 1
    assert line.unit_price == Decimal("11.01")
    assert line.paid_amount == Decimal("11.01")
    assert order.flags == frozenset()


def test_order_number_list_increment_get_sample_normalizes(fixture_json):
    payload = fixture_json("pdd/order_number_list_increment_get.json")

    [raw] = extract_orders(payload)
    order = normalize(raw)

    assert order.platform_order_id == "180810-364770100011509"
    assert (order.status, order.raw_status) == ("shipped", "2")
    assert order.paid_amount == Decimal("4.50")
    assert order.goods_amount == Decimal("4.50")
    assert order.created_at == datetime(2018, 8, 10, 11, 29, 58, tzinfo=UTC)
    assert order.updated_at == datetime(2018, 8, 10, 11, 43, 34, tzinfo=UTC)
    assert order.receiver.phone == "1866716****"  # masked, kept as given
    assert order.receiver.detail == "一号大街1号"
    [line] = order.lines
    assert (line.platform_sku_id, line.quantity, line.unit_price) == ("52494558847", 1, Decimal("4.50"))
    assert line.title == "文化用品 > 计算器 > 计算器【预售：8月18日发完】"


def test_the_trade_confirmed_frame_parses_to_an_order_trigger(fixture_json):
    body = json.dumps(fixture_json("pdd/pmc_message_trade_confirmed.json")).encode()

    [message] = PUSH_HANDLER.parse({}, body)

    assert message.kind == "order"
    assert message.topic == "pdd_trade_TradeConfirmed"
    assert message.external_id == "order-test"
    assert message.message_id == "9007199254740993"  # above 2^53, exact
    assert message.platform_shop_id == "100"
    assert message.needs_fetch is True
    assert PUSH_HANDLER.shop_id_of({}, body) == "100"


def test_the_refund_created_frame_parses_to_a_refund_message(fixture_json):
    body = json.dumps(fixture_json("pdd/pmc_message_refund_created.json")).encode()

    [message] = PUSH_HANDLER.parse({}, body)

    assert message.kind == "refund"
    assert message.external_id == "7381745730"
    assert message.order_id == "210707-339507978993455"
    assert message.platform_shop_id == "171504183"
    assert message.needs_fetch is True


def test_a_pmc_frame_carries_no_order_body(fixture_json):
    frame = fixture_json("pdd/pmc_message_trade_confirmed.json")

    with pytest.raises(PayloadError, match="announces order order-test only; fetch the detail"):
        extract_orders(frame)


def test_the_ack_has_the_pmc_ack_shape(fixture_json):
    sample = fixture_json("pdd/pmc_ack.json")

    reply = PUSH_HANDLER.reply(True)

    assert reply.status == 200
    assert reply.body["commandType"] == sample["commandType"] == "Ack"
    assert set(reply.body) <= set(sample)
    assert PUSH_HANDLER.reply(False).status >= 400


# --- status table and bad input --------------------------------------------------------------------


def test_status_table(fixture_json):
    raw = fixture_json("pdd/order_information_get.json")["order_info_get_response"]["order_info"]

    assert normalize({**raw, "order_status": 3}).status == "completed"
    refunded = normalize({**raw, "order_status": 1, "refund_status": 4})
    assert (refunded.status, refunded.raw_status) == ("cancelled", "1/refund_status=4")
    assert normalize({**raw, "order_status": 2, "refund_status": 4}).status == "shipped"
    assert normalize({**raw, "confirm_status": 2}).status == "cancelled"


def test_an_unknown_status_is_refused_not_guessed(fixture_json):
    raw = fixture_json("pdd/order_information_get.json")["order_info_get_response"]["order_info"]

    with pytest.raises(PayloadError, match="unknown order_status 9"):
        normalize({**raw, "order_status": 9})


def test_the_discount_is_shared_over_lines_by_value(fixture_json):
    raw = fixture_json("pdd/order_information_get.json")["order_info_get_response"]["order_info"]
    items = [
        {"sku_id": "1", "goods_name": "a", "goods_price": 10.0, "goods_count": 1},
        {"sku_id": "2", "goods_name": "b", "goods_price": 20.0, "goods_count": 1},
    ]

    order = normalize(
        {**raw, "item_list": items, "goods_amount": 30.0, "discount_amount": 10.0, "pay_amount": 20.0}
    )

    assert [line.paid_amount for line in order.lines] == [Decimal("6.67"), Decimal("13.33")]
    assert sum(line.paid_amount for line in order.lines) == order.goods_amount - order.discount


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"order_sn": "1", "order_status": "x"},
        {"order_sn": "1", "order_status": 1, "item_list": [{"goods_price": 1}]},
        {"order_sn": "1", "order_status": 1, "item_list": "nope"},
    ],
)
def test_unreadable_orders_raise_payload_error(bad):
    with pytest.raises(PayloadError):
        normalize(bad)


@pytest.mark.parametrize("bad", [b"{", b"[]", {"order_sn_increment_get_response": []}, {"message": {}}, 42])
def test_unreadable_payloads_raise_payload_error(bad):
    with pytest.raises(PayloadError):
        extract_orders(bad)


@pytest.mark.parametrize(
    "bad", [b"{", b"[]", b'{"message": {"type": "pdd_trade_TradeSuccess", "content": "{}"}}']
)
def test_malformed_frames_raise_payload_error(bad):
    with pytest.raises(PayloadError):
        PUSH_HANDLER.parse({}, bad)


def test_the_registry_serves_the_pdd_adapter():
    assert get_adapter("pdd") is ADAPTER
    assert ADAPTER.default_base_url == "https://gw-api.pinduoduo.com"


# --- against the sandbox ---------------------------------------------------------------------------


def test_a_full_pull_returns_every_order_once_paging_backwards(sandbox, recorded):
    http, sent = recorded
    made = {generate_order(sandbox.state, demo_shop("pdd"), now=NOW).order_id for _ in range(230)}
    client = Client(shop_auth(sandbox, "pdd"), http)

    pages = list(client.fetch_orders(NOW - timedelta(minutes=20), NOW + timedelta(minutes=1)))

    pulled = [order for page in pages for order in page]
    assert len(pulled) == 230
    assert {order["order_sn"] for order in pulled} == made
    assert all(normalize(order).status == "paid" for order in pulled)
    assert [form["page"] for form in sent] == ["1", "3", "2", "1"]
    assert all(form["page_size"] == "100" for form in sent)


def test_an_order_leaving_the_window_mid_pull_costs_no_other_order(sandbox):
    made = [generate_order(sandbox.state, demo_shop("pdd"), now=NOW) for _ in range(230)]
    leaver = max(made, key=lambda order: order.order_id)  # first on page 1
    requests = []

    def modify_leaver_mid_walk(request):
        requests.append(request)
        if len(requests) == 3:  # after page 1 (forward) or page 3 (backward) was read
            advance_order(sandbox.state, leaver, "shipped", now=NOW + timedelta(hours=1))

    with httpx.Client(timeout=10, event_hooks={"request": [modify_leaver_mid_walk]}) as http:
        client = Client(shop_auth(sandbox, "pdd"), http)
        pulled = {
            o["order_sn"] for page in client.fetch_orders(NOW - timedelta(minutes=5), NOW) for o in page
        }

    assert pulled == {order.order_id for order in made} - {leaver.order_id}


def test_a_long_window_is_cut_into_30_minute_slices(sandbox, recorded):
    http, sent = recorded
    made = {
        generate_order(sandbox.state, demo_shop("pdd"), now=NOW + timedelta(minutes=7 * k)).order_id
        for k in range(20)
    }
    client = Client(shop_auth(sandbox, "pdd"), http)

    pulled = [
        o["order_sn"]
        for page in client.fetch_orders(NOW - timedelta(minutes=1), NOW + timedelta(hours=3))
        for o in page
    ]

    assert sorted(pulled) == sorted(made)
    spans = [int(form["end_updated_at"]) - int(form["start_updated_at"]) for form in sent]
    assert len(spans) == 7
    assert max(spans) <= 1800


def test_the_sandbox_refuses_a_window_over_30_minutes_and_pages_over_100(sandbox, http):
    client = Client(shop_auth(sandbox, "pdd"), http)
    start = int(NOW.timestamp())

    with pytest.raises(PlatformError) as too_long:
        client.call(
            INCREMENT_API, INCREMENT_ROOT, start_updated_at=start, end_updated_at=start + 1801, page=1
        )
    with pytest.raises(PlatformError) as too_big:
        client.call(
            INCREMENT_API,
            INCREMENT_ROOT,
            start_updated_at=start,
            end_updated_at=start + 60,
            page=1,
            page_size=101,
        )

    assert too_long.value.code == too_big.value.code == "10000"


def test_unpaid_orders_are_not_listed(sandbox, http):
    generate_order(sandbox.state, demo_shop("pdd"), status="pending_payment", now=NOW)
    paid = generate_order(sandbox.state, demo_shop("pdd"), status="paid", now=NOW)

    pulled = [
        o["order_sn"]
        for page in Client(shop_auth(sandbox, "pdd"), http).fetch_orders(
            NOW - timedelta(minutes=5), NOW + timedelta(minutes=5)
        )
        for o in page
    ]

    assert pulled == [paid.order_id]


def test_throttling_is_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("pdd"), now=NOW)
    sandbox.state.faults.throttle_next = 2

    raw = Client(shop_auth(sandbox, "pdd"), http).fetch_order(order.order_id)

    assert raw["order_sn"] == order.order_id
    assert len(sandbox.state.calls) == 3


def test_a_server_error_is_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("pdd"), now=NOW)
    sandbox.state.faults.fail_next = 1

    raw = Client(shop_auth(sandbox, "pdd"), http).fetch_order(order.order_id)

    assert raw["order_sn"] == order.order_id
    assert len(sandbox.state.calls) == 2


def test_a_bad_token_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "pdd", access_token="revoked"), http)

    with pytest.raises(AuthExpired):
        list(client.fetch_orders(NOW - timedelta(minutes=5), NOW))


def test_a_bad_signature_is_refused(sandbox, http):
    client = Client(shop_auth(sandbox, "pdd", app_secret="not-the-secret"), http)

    with pytest.raises(PlatformError) as raised:
        client.fetch_order("1")

    assert raised.value.code == "20004"
    assert not isinstance(raised.value, AuthExpired)


def test_fetch_order_returns_the_same_order_as_the_list(sandbox, http):
    made = generate_order(sandbox.state, demo_shop("pdd"), now=NOW)
    advance_order(sandbox.state, made, "shipped", now=NOW + timedelta(minutes=1))
    client = Client(shop_auth(sandbox, "pdd"), http)

    [[listed]] = client.fetch_orders(NOW, NOW + timedelta(minutes=5))
    detail = client.fetch_order(made.order_id)

    assert normalize(detail) == normalize(listed)
    assert normalize(detail).status == "shipped"


def test_fetch_order_of_an_unknown_order_is_a_platform_error(sandbox, http):
    with pytest.raises(PlatformError):
        Client(shop_auth(sandbox, "pdd"), http).fetch_order("000000-000000000000000")


def auth_for(shop, **overrides) -> ShopAuth:
    values = {"app_key": shop.app_key, "app_secret": shop.app_secret, "platform_shop_id": shop.shop_id}
    return ShopAuth(**(values | overrides))


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def test_a_sandbox_push_verifies_and_parses(sandbox):
    shop = demo_shop("pdd")
    order = generate_order(sandbox.state, shop, now=NOW)
    body = sandbox_pdd.push_body(order, shop)
    headers = lower(sandbox_pdd.push_headers(body, shop, "http://orderhub.test/hooks/pdd"))

    assert PUSH_HANDLER.verify(headers, body, auth_for(shop))
    assert not PUSH_HANDLER.verify(headers, body, auth_for(shop, app_secret="wrong"))
    assert not PUSH_HANDLER.verify(headers, body.replace(b"Common", b"Commoo"), auth_for(shop))
    assert not PUSH_HANDLER.verify(headers, body, auth_for(shop, app_key="another-client"))
    assert PUSH_HANDLER.shop_id_of(headers, body) == shop.shop_id
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.topic) == ("order", "pdd_trade_TradeConfirmed")
    assert message.external_id == order.order_id
    assert message.needs_fetch is True
    assert message.platform_shop_id == shop.shop_id


def test_a_cancelled_order_is_pushed_as_a_refund_of_that_order(sandbox):
    shop = demo_shop("pdd")
    order = advance_order(sandbox.state, generate_order(sandbox.state, shop, now=NOW), "cancelled", now=NOW)

    [message] = PUSH_HANDLER.parse({}, sandbox_pdd.push_body(order, shop))

    assert message.kind == "refund"
    assert message.order_id == order.order_id
    assert message.external_id.isdigit()


@pytest.mark.parametrize("status", ["paid", "shipped", "completed", "cancelled"])
def test_render_then_normalize_round_trips(sandbox, status):
    shop = demo_shop("pdd")
    fakes = [generate_order(sandbox.state, shop, status=status, now=NOW) for _ in range(40)]
    assert any(fake.discount for fake in fakes) and any(len(fake.lines) > 1 for fake in fakes)

    for fake in fakes:
        order = normalize(sandbox_pdd.render_order(fake))

        assert order.platform_order_id == fake.order_id
        assert order.status == status
        assert order.goods_amount == fake.goods_amount
        assert order.shipping_fee == fake.shipping_fee
        assert order.discount == fake.discount
        assert order.paid_amount == fake.paid_amount == fake.goods_amount + fake.shipping_fee - fake.discount
        assert order.updated_at == fake.updated_at.replace(microsecond=0)
        assert order.created_at == fake.created_at.replace(microsecond=0)
        assert [
            (x.platform_sku_id, x.outer_sku_code, x.title, x.quantity, x.unit_price, x.paid_amount)
            for x in order.lines
        ] == [
            (y.platform_sku_id, y.sku_code, y.title, y.quantity, y.unit_price, y.paid_amount)
            for y in fake.lines
        ]
