"""Shopee v2: signing vectors, fixtures, error mapping, pushes, and pulls against the sandbox over HTTP."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.shopee import ADAPTER
from channels_sync.platforms.shopee.client import (
    ORDER_DETAIL_PATH,
    ORDER_LIST_PATH,
    Client,
    push_signature,
    sign,
    unwrap,
)
from channels_sync.platforms.shopee.mapping import extract_orders, normalize
from channels_sync.platforms.shopee.push import parse, reply, shop_id_of, verify
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.platforms import shopee as sandbox_shopee
from tests.channels_sync.conftest import shop_auth
from tests.conftest import load_fixture

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOOK_URL = "https://oms.example.com/webhooks/shopee"


def vector(platform: str) -> dict:
    return next(v for v in load_fixture("_signing_vectors.json")["vectors"] if v["platform"] == platform)


def calls_to(sandbox, path: str) -> int:
    return sum(1 for platform, called in sandbox.state.calls if platform == "shopee" and called == path)


def pull(client, start, end) -> list[dict]:
    return [order for page in client.fetch_orders(start, end) for order in page]


# --- signing -------------------------------------------------------------------------------------


def test_api_sign_matches_the_vector():
    given = vector("shopee_v2")
    params = given["params"]
    signature = sign(
        given["secret"],
        params["partner_id"],
        params["path"],
        params["timestamp"],
        params["access_token"],
        params["shop_id"],
    )
    assert signature == given["sign"]


def test_push_signature_matches_the_vector():
    given = vector("shopee_push")
    assert push_signature(given["secret"], given["url"], given["raw_body"].encode()) == given["sign"]


# --- fixtures ------------------------------------------------------------------------------------


def test_order_detail_sample_normalizes():
    (raw,) = extract_orders(load_fixture("shopee/get_order_detail.json"))
    order = normalize(raw)
    assert order.platform == "shopee"
    assert order.platform_order_id == "2404098R48U37H"
    assert (order.status, order.raw_status) == ("completed", "COMPLETED")
    assert order.currency == "VND"
    assert order.goods_amount == Decimal("48000.00")
    assert order.shipping_fee == Decimal("5000.00")
    assert order.paid_amount == Decimal("32119.00")
    assert order.discount == Decimal("20881.00")
    assert order.created_at == datetime(2024, 4, 8, 18, 39, 51, tzinfo=UTC)
    assert order.paid_at == datetime.fromtimestamp(1712817766, tz=UTC)
    assert order.updated_at == datetime.fromtimestamp(1713139948, tz=UTC)
    assert order.buyer_id == "1170319091"
    assert (order.buyer_remark, order.seller_remark) == ("", "")
    assert order.receiver.name == "P******n"
    assert order.receiver.phone == "******64"
    assert order.receiver.province == "Bạc Liêu"
    assert order.receiver.city == "Huyện Phước Long"
    assert order.receiver.district == "Xã Phong Thạnh Tây B"
    assert order.receiver.detail == "Ấp******"
    (line,) = order.lines
    assert line.platform_sku_id == "221404189791"
    assert line.outer_sku_code == "QAZ-SADOER-05"
    assert line.title.startswith("🦋giảm giá🦋Kem nở ngực SADOER")
    assert line.quantity == 1
    assert (line.unit_price, line.paid_amount) == (Decimal("48000.00"), Decimal("48000.00"))
    assert line.platform_line_id == "23620853561:221404189791"
    assert order.flags == frozenset()


def test_order_list_rows_name_orders_only():
    with pytest.raises(PayloadError, match="201218V2Y6E59M is a list row"):
        extract_orders(load_fixture("shopee/get_order_list.json"))


def test_client_pages_the_list_by_cursor_and_fetches_details_in_one_batch():
    given_list = load_fixture("shopee/get_order_list.json")
    last_page = {"error": "", "message": "", "response": {"more": False, "next_cursor": "", "order_list": []}}
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == ORDER_LIST_PATH:
            return httpx.Response(200, json=given_list if request.url.params["cursor"] == "" else last_page)
        return httpx.Response(200, json=load_fixture("shopee/get_order_detail.json"))

    auth = ShopAuth(app_key="2001234", app_secret="key", access_token="token", platform_shop_id="380921117")
    with httpx.Client(transport=httpx.MockTransport(answer), base_url=ADAPTER.default_base_url) as http:
        (page,) = list(Client(auth, http).fetch_orders(NOW, NOW + timedelta(hours=1)))
    assert [normalize(raw).platform_order_id for raw in page] == ["2404098R48U37H"]
    first_list, detail, second_list = seen
    assert detail.url.params["order_sn_list"].split(",") == [
        r["order_sn"] for r in given_list["response"]["order_list"]
    ]
    assert "item_list" in detail.url.params["response_optional_fields"].split(",")
    assert second_list.url.params["cursor"] == "20"
    assert first_list.url.params["time_range_field"] == "update_time"
    assert first_list.url.params["page_size"] == "100"


def test_invalid_time_error_sample_is_a_platform_error():
    with pytest.raises(PlatformError) as caught:
        unwrap(load_fixture("shopee/error_order_list_invalid_time.json"))
    assert caught.value.code == "order.order_list_invalid_time"
    assert not isinstance(caught.value, AuthExpired | RateLimited)


@pytest.mark.parametrize("error", ["error_auth", "invalid_access_token", "invalid_acceess_token"])
def test_token_errors_are_auth_expired(error):
    with pytest.raises(AuthExpired):
        unwrap({"error": error, "message": "Invalid access_token.", "request_id": "r"})


def test_order_status_push_sample_parses_to_a_trigger():
    body = json.dumps(load_fixture("shopee/push_order_status_code3.json")).encode()
    (message,) = parse({}, body)
    assert message.kind == "order"
    assert message.topic == "3"
    assert message.external_id == "220810QSK8S7BX"
    assert message.platform_shop_id == "727720655"
    assert message.message_id == "220810QSK8S7BX:PROCESSED:1660123127"
    assert message.needs_fetch is True
    assert shop_id_of({}, body) == "727720655"
    with pytest.raises(PayloadError, match="announces order 220810QSK8S7BX only; fetch the detail"):
        extract_orders(body)


def test_lost_push_message_data_is_the_same_push():
    lost = load_fixture("shopee/push_get_lost_push_message.json")["response"]["push_message_list"][0]
    (message,) = parse({}, lost["data"].encode())
    assert (message.kind, message.external_id, message.needs_fetch) == ("order", "220810QSK8S7BX", True)


def test_other_push_codes_are_other():
    body = json.dumps({"shop_id": 727720655, "code": 4, "timestamp": 1, "data": {"ordersn": "X1"}}).encode()
    (message,) = parse({}, body)
    assert (message.kind, message.external_id, message.needs_fetch) == ("other", "X1", False)
    assert parse({}, body)[0].message_id == message.message_id


def test_verify_uses_the_callback_url_the_webhook_passes():
    given = vector("shopee_push")
    body = given["raw_body"].encode()
    auth = ShopAuth(app_key="2001234", app_secret=given["secret"])
    headers = {"authorization": given["sign"], "x-orderhub-callback-url": given["url"]}
    assert verify(headers, body, auth) is True
    assert verify({**headers, "x-orderhub-callback-url": given["url"] + "/"}, body, auth) is False
    assert verify({"authorization": given["sign"]}, body, auth) is False
    assert verify(headers, body.replace(b"PROCESSED", b"SHIPPED"), auth) is False
    assert verify(headers, body, ShopAuth(app_key="2001234", app_secret="other")) is False


def test_reply_is_http_200_with_an_empty_object():
    assert (reply(True).status, reply(True).body) == (200, {})
    assert reply(False).status != 200


# --- mapping edge cases --------------------------------------------------------------------------


def detail_sample() -> dict:
    return load_fixture("shopee/get_order_detail.json")["response"]["order_list"][0]


def test_in_cancel_is_paid_with_cancel_requested():
    raw = detail_sample() | {"order_status": "IN_CANCEL"}
    order = normalize(raw)
    assert (order.status, order.flags) == ("paid", frozenset({"cancel_requested"}))


def test_unknown_status_is_refused_not_guessed():
    with pytest.raises(PayloadError, match="unknown order_status 'TELEPORTED'"):
        normalize(detail_sample() | {"order_status": "TELEPORTED"})


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"order_sn": "A1", "order_status": "COMPLETED"},
        {"order_sn": "A1", "order_status": "COMPLETED", "total_amount": 1, "item_list": [{"item_id": 1}]},
        {"order_sn": 1.5e13, "order_status": "COMPLETED"},
    ],
)
def test_malformed_orders_raise_payload_error(raw):
    with pytest.raises(PayloadError):
        normalize(raw)


@pytest.mark.parametrize("payload", [b"{oops", 7, {"error": "error_auth", "message": "x"}, {"response": []}])
def test_unreadable_payloads_raise_payload_error(payload):
    with pytest.raises(PayloadError):
        extract_orders(payload)


@pytest.mark.parametrize("body", [b"nope", b"[]", b'{"shop_id": 1, "code": 3, "data": "x"}', b'{"code": 3}'])
def test_malformed_push_bodies_raise_payload_error(body):
    with pytest.raises(PayloadError):
        parse({}, body)


# --- against the sandbox -------------------------------------------------------------------------


def make_orders(sandbox, count, *, status="paid", start=NOW, step=timedelta(seconds=1)):
    shop = demo_shop("shopee")
    return [generate_order(sandbox.state, shop, status=status, now=start + step * i) for i in range(count)]


def test_full_pull_over_several_pages_returns_every_order_once(sandbox, http):
    orders = make_orders(sandbox, 230)
    client = Client(shop_auth(sandbox, "shopee"), http)
    pulled = pull(client, NOW - timedelta(minutes=5), NOW + timedelta(hours=1))
    ids = [normalize(raw).platform_order_id for raw in pulled]
    assert sorted(ids) == sorted(o.order_id for o in orders)
    assert calls_to(sandbox, ORDER_LIST_PATH) == 3
    # 100 + 100 + 30 listed orders, details at most 50 at a time.
    assert calls_to(sandbox, ORDER_DETAIL_PATH) == 5


def test_window_longer_than_fifteen_days_is_split(sandbox, http):
    orders = make_orders(sandbox, 8, step=timedelta(days=5))
    client = Client(shop_auth(sandbox, "shopee"), http)
    pulled = pull(client, NOW - timedelta(days=1), NOW + timedelta(days=40))
    assert sorted(normalize(raw).platform_order_id for raw in pulled) == sorted(o.order_id for o in orders)
    assert calls_to(sandbox, ORDER_LIST_PATH) == 3


def test_sandbox_refuses_a_window_over_fifteen_days(sandbox, http):
    client = Client(shop_auth(sandbox, "shopee"), http)
    client.window_limit = timedelta(days=16)
    with pytest.raises(PlatformError) as caught:
        pull(client, NOW, NOW + timedelta(days=16))
    assert caught.value.code == "order.order_list_invalid_time"


def test_sandbox_detail_leaves_out_fields_not_asked_for(sandbox, http):
    (order,) = make_orders(sandbox, 1)
    shop = demo_shop("shopee")
    timestamp = int(datetime.now(UTC).timestamp())
    signature = sign(
        shop.app_secret, shop.app_key, ORDER_DETAIL_PATH, timestamp, shop.access_token, shop.shop_id
    )
    params = {
        "partner_id": shop.app_key,
        "timestamp": timestamp,
        "access_token": shop.access_token,
        "shop_id": shop.shop_id,
        "order_sn_list": order.order_id,
        "sign": signature,
    }
    answer = http.get(f"{sandbox.base_url('shopee')}{ORDER_DETAIL_PATH}", params=params).json()
    (bare,) = answer["response"]["order_list"]
    assert bare["order_sn"] == order.order_id
    assert "item_list" not in bare and "recipient_address" not in bare
    with pytest.raises(PayloadError):
        normalize(bare)


def test_throttling_is_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.throttle_next = 2
    client = Client(shop_auth(sandbox, "shopee"), http)
    assert len(pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))) == 3
    assert calls_to(sandbox, ORDER_LIST_PATH) == 3


def test_server_errors_are_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.fail_next = 1
    client = Client(shop_auth(sandbox, "shopee"), http)
    assert len(pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))) == 3


def test_a_bad_token_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "shopee", access_token="not-a-token"), http)
    with pytest.raises(AuthExpired) as caught:
        pull(client, NOW, NOW + timedelta(minutes=1))
    assert caught.value.code == "error_auth"


def test_a_wrong_partner_key_gets_shopees_sign_error(sandbox, http):
    client = Client(shop_auth(sandbox, "shopee", app_secret="wrong-partner-key"), http)
    with pytest.raises(PlatformError) as caught:
        pull(client, NOW, NOW + timedelta(minutes=1))
    assert caught.value.code == "error_sign"
    assert not isinstance(caught.value, AuthExpired)


def test_fetch_order_returns_the_same_order_as_the_pull(sandbox, http):
    (order,) = make_orders(sandbox, 1)
    client = Client(shop_auth(sandbox, "shopee"), http)
    (pulled,) = pull(client, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))
    assert normalize(client.fetch_order(order.order_id)) == normalize(pulled)


def test_fetch_order_of_an_unknown_order(sandbox, http):
    client = Client(shop_auth(sandbox, "shopee"), http)
    with pytest.raises(PlatformError) as caught:
        client.fetch_order("260302NOSUCH01")
    assert caught.value.code == "order_not_found"


def test_sandbox_push_verifies_with_the_hook_url_and_parses(sandbox):
    (order,) = make_orders(sandbox, 1)
    shop = demo_shop("shopee")
    body = sandbox_shopee.push_body(order, shop)
    sent = {k.lower(): v for k, v in sandbox_shopee.push_headers(body, shop, HOOK_URL).items()}
    headers = sent | {"x-orderhub-callback-url": HOOK_URL}
    auth = ShopAuth(app_key=shop.app_key, app_secret=shop.app_secret)
    assert verify(headers, body, auth) is True
    assert verify(headers, body, ShopAuth(app_key=shop.app_key, app_secret="wrong")) is False
    assert verify(headers, body.replace(b"READY_TO_SHIP", b"CANCELLED"), auth) is False
    assert verify(headers | {"x-orderhub-callback-url": "https://elsewhere/hook"}, body, auth) is False
    (message,) = parse(headers, body)
    assert (message.kind, message.external_id, message.needs_fetch) == ("order", order.order_id, True)
    assert message.platform_shop_id == shop.shop_id == shop_id_of(headers, body)


@pytest.mark.parametrize(
    ("status", "raw_status"),
    [
        ("pending_payment", "UNPAID"),
        ("paid", "READY_TO_SHIP"),
        ("shipped", "SHIPPED"),
        ("completed", "COMPLETED"),
        ("cancelled", "CANCELLED"),
    ],
)
def test_render_then_normalize_round_trips(sandbox, status, raw_status):
    shop = demo_shop("shopee")
    for index in range(8):  # enough orders to meet shipping fees, coupons and several lines
        order = generate_order(sandbox.state, shop, status=status, now=NOW + timedelta(minutes=index))
        normalized = normalize(sandbox_shopee.render_order(order))
        assert normalized.platform_order_id == order.order_id
        assert (normalized.status, normalized.raw_status) == (status, raw_status)
        assert normalized.currency == "CNY"
        assert normalized.goods_amount == order.goods_amount
        assert normalized.shipping_fee == order.shipping_fee
        assert normalized.discount == order.discount
        assert normalized.paid_amount == order.goods_amount + order.shipping_fee - order.discount
        assert normalized.updated_at == order.updated_at.replace(microsecond=0)
        assert normalized.paid_at == (order.paid_at.replace(microsecond=0) if order.paid_at else None)
        assert [
            (line.platform_sku_id, line.outer_sku_code, line.quantity, line.unit_price)
            for line in normalized.lines
        ] == [(line.platform_sku_id, line.sku_code, line.quantity, line.unit_price) for line in order.lines]


def test_adapter_names_the_pieces():
    assert ADAPTER.name == "shopee"
    assert ADAPTER.default_base_url == "https://partner.shopeemobile.com"
    assert ADAPTER.push is not None
