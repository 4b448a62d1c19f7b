import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.registry import get_adapter
from channels_sync.platforms.taobao import ADAPTER
from channels_sync.platforms.taobao.client import INCREMENT_API, TRADE_FIELDS, Client, raise_for_error, sign
from channels_sync.platforms.taobao.mapping import extract_orders, normalize
from channels_sync.platforms.taobao.push import PUSH_HANDLER
from channels_sync.platforms.util import format_beijing
from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import taobao as sandbox_taobao
from tests.channels_sync.conftest import shop_auth
from tests.conftest import load_fixture

VECTORS = [v for v in load_fixture("_signing_vectors.json")["vectors"] if v["platform"] == "taobao_top"]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def state():
    """Sandbox state without a server, for rendering and pushes."""
    return demo_state()


@pytest.fixture
def recorded():
    """An httpx client that keeps the form of every TOP request it sends."""
    sent: list[dict] = []

    def keep(request: httpx.Request):
        sent.append(dict(parse_qsl(request.content.decode())))

    with httpx.Client(timeout=10, event_hooks={"request": [keep]}) as client:
        yield client, sent


def increment_calls(sent: list[dict]) -> list[dict]:
    return [params for params in sent if params["method"] == INCREMENT_API]


def with_coupon(order):
    """A one-yuan shop coupon on the first line, so line and order amounts differ from list prices."""
    order.discount += Decimal("1.00")
    order.lines[0].paid_amount -= Decimal("1.00")
    return order


def assert_matches(normalized, order):
    assert normalized.platform_order_id == order.order_id
    assert normalized.status == order.status
    assert normalized.goods_amount == order.goods_amount
    assert normalized.shipping_fee == order.shipping_fee
    assert normalized.discount == order.discount
    assert normalized.paid_amount == order.goods_amount + order.shipping_fee - order.discount
    assert normalized.updated_at == order.updated_at.replace(microsecond=0)
    assert normalized.buyer_id == order.buyer_id
    assert normalized.receiver.name == order.receiver_name
    assert normalized.receiver.phone == order.receiver_phone
    assert (normalized.receiver.province, normalized.receiver.city, normalized.receiver.district) == (
        order.province, order.city, order.district,
    )  # fmt: skip
    assert normalized.receiver.detail == order.detail
    assert [
        (x.platform_sku_id, x.outer_sku_code, x.title, x.quantity, x.unit_price, x.paid_amount)
        for x in normalized.lines
    ] == [
        (x.platform_sku_id, x.sku_code, x.title, x.quantity, x.unit_price, x.paid_amount) for x in order.lines
    ]


# --- signing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v["params"]["sign_method"] for v in VECTORS])
def test_sign_matches_the_vector(vector):
    # Given the vector's params and secret, when signed with its sign_method, then the vector's sign comes out
    params = vector["params"]
    assert sign(params, vector["secret"], params["sign_method"]) == vector["sign"]


def test_sign_leaves_out_empty_values_and_the_sign_itself():
    params = {"method": "x", "app_key": "k"}
    assert sign(params | {"empty": "", "sign": "OLD"}, "s") == sign(params, "s")


def test_sign_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="sign_method"):
        sign({"a": "1"}, "s", "sha1")


# --- samples -------------------------------------------------------------------------------------


def test_trade_fullinfo_sample_normalizes(fixture_json):
    # Given the verbatim fullinfo response, when extracted and normalized
    [trade] = extract_orders(fixture_json("taobao/trade_fullinfo_get.json"))
    order = normalize(trade)
    # Then every field is read from the TOP field that carries it
    assert order.platform == "taobao"
    assert order.platform_order_id == "500001084"
    assert (order.status, order.raw_status, order.flags) == ("paid", "WAIT_SELLER_SEND_GOODS", frozenset())
    assert order.currency == "CNY"
    assert order.goods_amount == Decimal("488.00")
    assert order.shipping_fee == Decimal("0.00")
    assert order.discount == Decimal("10.42")
    assert order.paid_amount == Decimal("323.58")
    assert order.created_at == utc(2017, 7, 28, 6, 18, 32)
    assert order.paid_at == utc(2017, 7, 28, 6, 18, 32)
    assert order.updated_at == utc(2017, 7, 28, 6, 18, 32)
    assert order.buyer_id == "采购004"
    assert order.buyer_remark == "周末配送"
    assert order.seller_remark == "改为发顺丰"
    assert order.receiver.name == "王小贝10048"
    assert order.receiver.phone == "13312343069"
    assert (order.receiver.province, order.receiver.city, order.receiver.district) == (
        "陕西省",
        "西安市",
        "新城区",
    )
    assert order.receiver.detail == "陕西省西安市新城区解放路100"
    first, second = order.lines
    assert first.platform_sku_id == "5000000017"
    assert first.outer_sku_code == "B-C352-F301-356M"
    assert first.title == "正常001"
    assert first.quantity == 1
    assert first.unit_price == Decimal("100.00")
    assert first.paid_amount == Decimal("86.20")  # divide_order_fee, not the pre-coupon payment
    assert first.platform_line_id == "500001083"
    assert (second.platform_sku_id, second.paid_amount, second.platform_line_id) == (
        "5000000018", Decimal("117.77"), "500001084",
    )  # fmt: skip


def test_trades_sold_increment_sample_normalizes(fixture_json):
    # Given the increment.get sample with a paid and a closed trade
    paid, closed = (
        normalize(t) for t in extract_orders(fixture_json("taobao/trades_sold_increment_get.json"))
    )
    # Then the paid one reads tid_str, the open uid and, without total_fee, the goods amount from its lines
    assert (paid.platform_order_id, paid.status, paid.raw_status) == (
        "500001084",
        "paid",
        "WAIT_SELLER_SEND_GOODS",
    )
    assert paid.buyer_id == "AAGWjd0mAAd4WkR0qiM5oG6_"
    assert paid.goods_amount == Decimal("100.00")
    assert paid.paid_amount == Decimal("323.58")
    assert paid.discount == Decimal("0.00")
    [line] = paid.lines
    assert (line.platform_sku_id, line.outer_sku_code, line.quantity) == ("5000000017", "B-C352-F301-356M", 1)
    assert (line.unit_price, line.paid_amount, line.platform_line_id) == (
        Decimal("100.00"),
        Decimal("100.00"),
        "500001083",
    )
    # And the closed one is cancelled, never paid
    assert (closed.platform_order_id, closed.status, closed.raw_status) == (
        "500001090",
        "cancelled",
        "TRADE_CLOSED_BY_TAOBAO",
    )
    assert closed.paid_at is None
    assert closed.created_at == utc(2017, 7, 28, 5, 35, 2)
    assert closed.updated_at == utc(2017, 7, 28, 6, 5, 10)
    assert closed.paid_amount == Decimal("59.00")


def test_tmc_trade_message_sample_is_a_trigger(fixture_json):
    # Given the relayed TradeBuyerPay message
    message = fixture_json("taobao/tmc_message_TradeBuyerPay.json")
    # When parsed
    [parsed] = PUSH_HANDLER.parse({}, json.dumps(message).encode())
    # Then it names the trade and asks for the detail to be fetched
    assert (parsed.kind, parsed.topic) == ("order", "taobao_trade_TradeBuyerPay")
    assert parsed.external_id == "500001084"
    assert parsed.message_id == "7231501860781300001"  # above 2^53: kept exact
    assert parsed.platform_shop_id == "2208000000001"
    assert parsed.needs_fetch is True
    assert parsed.payload["content"]["status"] == "WAIT_SELLER_SEND_GOODS"
    with pytest.raises(PayloadError, match="announces order 500001084 only; fetch the detail"):
        extract_orders(message)


def test_tmc_refund_message_sample_parses_as_a_refund(fixture_json):
    message = fixture_json("taobao/tmc_message_RefundCreated.json")
    [parsed] = PUSH_HANDLER.parse({}, json.dumps([message]).encode())
    assert (parsed.kind, parsed.external_id, parsed.order_id) == ("refund", "9001", "500001084")
    assert parsed.message_id == "7231501860781300002"
    assert parsed.needs_fetch is True


def test_refund_list_sample_is_not_an_order_payload(fixture_json):
    with pytest.raises(PayloadError, match="not a Taobao trade list"):
        extract_orders(fixture_json("taobao/refunds_receive_get.json"))


def test_app_call_limited_sample_becomes_rate_limited_for_the_ban_plus_one(fixture_json):
    # Given TOP's code 7 "This ban will last for 1 more seconds"
    with pytest.raises(RateLimited) as caught:
        raise_for_error(fixture_json("taobao/error_app_call_limited.json"))
    # Then the client waits the ban out plus a second
    assert caught.value.retry_after == 2
    assert caught.value.code == "7"


def test_invalid_session_becomes_auth_expired():
    body = {"error_response": {"code": 27, "msg": "Invalid session", "sub_code": "invalid-sessionkey"}}
    with pytest.raises(AuthExpired):
        raise_for_error(body)


# --- mapping edge cases --------------------------------------------------------------------------


def test_partial_shipment_and_blocked_trades_are_flagged(fixture_json):
    [trade] = extract_orders(fixture_json("taobao/trade_fullinfo_get.json"))
    partial = normalize(trade | {"status": "SELLER_CONSIGNED_PART"})
    blocked = normalize(trade | {"status": "PAID_FORBID_CONSIGN"})
    assert (partial.status, partial.flags) == ("paid", frozenset({"partially_shipped"}))
    assert (blocked.status, blocked.flags) == ("paid", frozenset({"platform_blocked"}))


def test_unknown_status_is_refused_not_guessed(fixture_json):
    [trade] = extract_orders(fixture_json("taobao/trade_fullinfo_get.json"))
    with pytest.raises(PayloadError, match="unknown Taobao trade status 'TRADE_SOMETHING_NEW'"):
        normalize(trade | {"status": "TRADE_SOMETHING_NEW"})


def test_a_float_tid_is_refused_rather_than_rounded(fixture_json):
    [trade] = extract_orders(fixture_json("taobao/trade_fullinfo_get.json"))
    with pytest.raises(PayloadError, match="tid"):
        normalize(trade | {"tid": 5.000010840000001e18})


@pytest.mark.parametrize(
    "payload",
    [None, "text", 42, {"something": "else"}, {"trade_fullinfo_get_response": {"trade": "x"}}],
)
def test_unreadable_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        extract_orders(payload)


def test_missing_line_fields_surface_as_payload_error(fixture_json):
    [trade] = extract_orders(fixture_json("taobao/trade_fullinfo_get.json"))
    trade["orders"]["order"][0].pop("num")
    with pytest.raises(PayloadError, match="unreadable"):
        normalize(trade)
    with pytest.raises(PayloadError):
        normalize({"status": "WAIT_BUYER_PAY", "tid": 1, "orders": "not a dict"})


def test_adapter_is_registered():
    assert get_adapter("taobao") is ADAPTER
    assert ADAPTER.default_base_url == "https://gw.api.taobao.com"


# --- against the sandbox -------------------------------------------------------------------------


def test_full_pull_pages_backwards_and_returns_every_order_once(sandbox, recorded):
    # Given 230 paid orders modified over the last few minutes
    http, sent = recorded
    shop, base = demo_shop("taobao"), datetime.now(UTC) - timedelta(minutes=30)
    made = [generate_order(sandbox.state, shop, now=base + timedelta(seconds=i)) for i in range(230)]
    # When one window covering them is pulled
    client = Client(shop_auth(sandbox, "taobao"), http)
    pages = list(client.fetch_orders(base - timedelta(minutes=1), base + timedelta(minutes=10)))
    # Then page 1 told the total, and the pages were read from the last back to the first
    assert [params["page_no"] for params in increment_calls(sent)] == ["1", "3", "2", "1"]
    assert all(params["page_size"] == "100" for params in increment_calls(sent))
    ids = [normalize(trade).platform_order_id for page in pages for trade in page]
    assert sorted(ids) == sorted(order.order_id for order in made)
    assert len(ids) == len(set(ids))


def test_window_longer_than_a_day_is_split(sandbox, recorded):
    # Given orders spread over three days
    http, sent = recorded
    shop, end = demo_shop("taobao"), datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=3)
    made = [generate_order(sandbox.state, shop, now=start + timedelta(hours=h)) for h in (1, 23, 26, 50, 71)]
    # When the three days are pulled at once
    client = Client(shop_auth(sandbox, "taobao"), http)
    pulled = [trade["tid_str"] for page in client.fetch_orders(start, end) for trade in page]
    # Then three one-day windows were asked for and every order came back once
    windows = [(p["start_modified"], p["end_modified"]) for p in increment_calls(sent)]
    assert windows == [
        (format_beijing(start + timedelta(days=d)), format_beijing(start + timedelta(days=d + 1)))
        for d in range(3)
    ]
    assert sorted(pulled) == sorted(order.order_id for order in made)


def test_sandbox_refuses_a_window_over_one_day(sandbox, http):
    client = Client(shop_auth(sandbox, "taobao"), http)
    client.window_limit = timedelta(days=2)
    end = datetime.now(UTC)
    with pytest.raises(PlatformError) as caught:
        list(client.fetch_orders(end - timedelta(days=2), end))
    assert caught.value.code == "isv.invalid-parameter"


def test_sandbox_refuses_a_page_size_over_100(sandbox, http):
    client = Client(shop_auth(sandbox, "taobao"), http)
    now = format_beijing(datetime.now(UTC))
    with pytest.raises(PlatformError) as caught:
        client.call(INCREMENT_API, fields=TRADE_FIELDS, start_modified=now, end_modified=now, page_size="101")
    assert caught.value.code == "isv.invalid-parameter:page_size"


def test_throttling_is_waited_out_and_retried(sandbox, http):
    # Given an order and a gateway that answers "App Call Limited" twice
    order = generate_order(sandbox.state, demo_shop("taobao"), now=datetime.now(UTC))
    sandbox.state.faults.throttle_next = 2
    # When the order is fetched, then the third attempt gets it
    trade = Client(shop_auth(sandbox, "taobao"), http).fetch_order(order.order_id)
    assert trade["tid_str"] == order.order_id
    assert len(sandbox.state.calls) == 3


def test_a_server_error_is_retried(sandbox, http):
    order = generate_order(sandbox.state, demo_shop("taobao"), now=datetime.now(UTC))
    sandbox.state.faults.fail_next = 1
    assert Client(shop_auth(sandbox, "taobao"), http).fetch_order(order.order_id)["tid_str"] == order.order_id
    assert len(sandbox.state.calls) == 2


def test_bad_session_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "taobao", access_token="revoked"), http)
    with pytest.raises(AuthExpired) as caught:
        client.fetch_order("1")
    assert caught.value.code == "27"
    assert len(sandbox.state.calls) == 1  # not retried: a person must re-authorise


def test_bad_signature_is_refused(sandbox, http):
    client = Client(shop_auth(sandbox, "taobao", app_secret="wrong-secret"), http)
    with pytest.raises(PlatformError) as caught:
        client.fetch_order("1")
    assert not isinstance(caught.value, AuthExpired)
    assert caught.value.code == "25"


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
def test_every_sign_method_is_accepted(sandbox, http, sign_method):
    order = generate_order(sandbox.state, demo_shop("taobao"), now=datetime.now(UTC))
    client = Client(shop_auth(sandbox, "taobao", extra={"sign_method": sign_method}), http)
    assert client.fetch_order(order.order_id)["tid_str"] == order.order_id


def test_fetch_order_returns_the_detail_of_that_order(sandbox, http):
    # Given a shipped order
    shop, now = demo_shop("taobao"), datetime.now(UTC)
    order = advance_order(sandbox.state, generate_order(sandbox.state, shop, now=now), "shipped", now=now)
    # When its detail is fetched, then it normalizes to the same order
    assert_matches(normalize(Client(shop_auth(sandbox, "taobao"), http).fetch_order(order.order_id)), order)


def test_fetch_order_of_an_unknown_tid_is_a_platform_error(sandbox, http):
    with pytest.raises(PlatformError) as caught:
        Client(shop_auth(sandbox, "taobao"), http).fetch_order("404")
    assert caught.value.code == "isv.trade-not-exist"


# --- pushes --------------------------------------------------------------------------------------


def test_relayed_push_verifies_and_parses(state):
    # Given the relay's push for a paid order
    shop = demo_shop("taobao")
    order = generate_order(state, shop, now=datetime.now(UTC))
    body = sandbox_taobao.push_body(order, shop)
    headers = {
        k.lower(): v for k, v in sandbox_taobao.push_headers(body, shop, "http://hub/hooks/taobao").items()
    }
    auth = ShopAuth(app_key=shop.app_key, app_secret=shop.app_secret)
    # Then it verifies with the app secret, and with nothing else
    assert PUSH_HANDLER.shop_id_of(headers, body) == shop.app_key
    assert PUSH_HANDLER.verify(headers, body, auth) is True
    assert PUSH_HANDLER.verify(headers, body, replace(auth, app_secret="other")) is False
    assert PUSH_HANDLER.verify(headers, body.replace(b"TradeBuyerPay", b"TradeClose"), auth) is False
    assert PUSH_HANDLER.verify(headers | {"x-relay-app-key": "other-app"}, body, auth) is False
    assert PUSH_HANDLER.verify({}, body, auth) is False
    # And it parses to a trigger for that order
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.topic, message.external_id) == (
        "order",
        "taobao_trade_TradeBuyerPay",
        order.order_id,
    )
    assert message.platform_shop_id == shop.shop_id
    assert message.needs_fetch is True
    assert PUSH_HANDLER.reply(True).body == {"success": True}
    assert PUSH_HANDLER.reply(False).status >= 400


def test_push_topic_follows_the_order_status(state):
    shop, now = demo_shop("taobao"), datetime.now(UTC)
    order = advance_order(state, generate_order(state, shop, now=now), "completed", now=now)
    [message] = PUSH_HANDLER.parse({}, sandbox_taobao.push_body(order, shop))
    assert message.topic == "taobao_trade_TradeSuccess"
    assert message.payload["content"]["status"] == "TRADE_FINISHED"


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"id": 1}', b'{"topic": "taobao_trade_TradeCreate"}']
)
def test_malformed_push_bodies_raise_payload_error(body):
    with pytest.raises(PayloadError):
        PUSH_HANDLER.parse({}, body)


def test_push_without_app_key_header_names_no_shop():
    with pytest.raises(PayloadError):
        PUSH_HANDLER.shop_id_of({}, b"{}")


# --- round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "raw_status"),
    [
        ("pending_payment", "WAIT_BUYER_PAY"),
        ("paid", "WAIT_SELLER_SEND_GOODS"),
        ("shipped", "WAIT_BUYER_CONFIRM_GOODS"),
        ("completed", "TRADE_FINISHED"),
        ("cancelled", "TRADE_CLOSED"),
    ],
)
def test_rendered_order_normalizes_back(state, status, raw_status):
    # Given a sandbox order with a shop coupon in each status (cancelled: closed after a refund)
    order = with_coupon(generate_order(state, demo_shop("taobao"), status=status, now=datetime.now(UTC)))
    # When rendered as TOP renders it and normalized
    normalized = normalize(sandbox_taobao.render_order(order))
    # Then ids, status, amounts and lines come back
    assert_matches(normalized, order)
    assert normalized.raw_status == raw_status
    assert [line.platform_line_id for line in normalized.lines] == [
        sandbox_taobao.sub_order_id(order, line) for line in order.lines
    ]


def test_an_unpaid_closed_trade_renders_as_closed_by_taobao(state):
    order = generate_order(state, demo_shop("taobao"), status="pending_payment", now=datetime.now(UTC))
    order.status = "cancelled"
    assert normalize(sandbox_taobao.render_order(order)).raw_status == "TRADE_CLOSED_BY_TAOBAO"
