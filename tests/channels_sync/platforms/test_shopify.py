"""Shopify: webhook signing, the mapping over the fixtures, the REST client against the sandbox."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited
from channels_sync.platforms.http import request
from channels_sync.platforms.shopify import ADAPTER
from channels_sync.platforms.shopify.client import Client, raise_for_status, second_bounds
from channels_sync.platforms.shopify.mapping import extract_orders, normalize, order_status
from channels_sync.platforms.shopify.push import PUSH_HANDLER, webhook_signature
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import shopify as sandbox_shopify
from tests.channels_sync.conftest import shop_auth

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDERS_JSON = "/admin/api/2024-10/orders.json"


def make_orders(sandbox, count, *, step=timedelta(seconds=3), status="paid"):
    shop = demo_shop("shopify")
    return [generate_order(sandbox.state, shop, status=status, now=NOW - step * i) for i in range(count)]


def pull(client, start, end):
    return [order for page in client.fetch_orders(start, end) for order in page]


def orders_json_calls(sandbox):
    return [path for platform, path in sandbox.state.calls if platform == "shopify" and path == ORDERS_JSON]


# --- signing ---------------------------------------------------------------------------------------


def test_webhook_signature_matches_the_vector(fixture_json):
    v = next(
        v for v in fixture_json("_signing_vectors.json")["vectors"] if v["platform"] == "shopify_webhook"
    )
    assert webhook_signature(v["secret"], v["raw_body"].encode()) == v["sign"]


# --- mapping over the samples ----------------------------------------------------------------------


def test_orders_create_webhook_body_normalizes(fixture_json):
    # given the verbatim test webhook body. Its JS-parsed ids were rounded (820982911946154500); the
    # fixture repaired the order and line ids, but product_id etc. are still rounded, so ids must come
    # from admin_graphql_api_id.
    [raw] = extract_orders(fixture_json("shopify/orders_create_body.json"))
    # when
    order = normalize(raw)
    # then a voided, cancelled order with exact ids
    assert order.platform_order_id == "820982911946154508"
    assert (order.status, order.raw_status) == ("cancelled", "voided/pending/cancelled")
    assert order.currency == "USD"
    assert order.goods_amount == Decimal("249.98")
    assert order.shipping_fee == Decimal("10.00")
    assert order.discount == Decimal("5.00")
    assert order.paid_amount == Decimal("254.98")
    assert order.created_at == order.updated_at == datetime(2020, 9, 10, 8, 26, 51, tzinfo=UTC)
    assert order.paid_at is None
    assert order.buyer_id == "115310627314723954"
    receiver = order.receiver
    assert (receiver.name, receiver.phone, receiver.province, receiver.city) == (
        "Steve Shipper",
        "555-555-SHIP",
        "Kentucky",
        "Shippington",
    )
    assert receiver.detail == "123 Shipping Street, 40003, US"
    first, second = order.lines
    assert (first.platform_line_id, first.outer_sku_code, first.title) == (
        "487817672276298554",
        "SKU2006-001",
        "Aviator sunglasses",
    )
    assert (first.platform_sku_id, first.quantity, first.unit_price, first.paid_amount) == (
        "",
        1,
        Decimal("89.99"),
        Decimal("89.99"),
    )
    assert second.platform_line_id == "976318377106520349"
    assert (second.unit_price, second.paid_amount) == (Decimal("159.99"), Decimal("154.99"))  # 5.00 allocated


def test_rest_order_detail_normalizes(fixture_json):
    # given the REST orders/{id}.json fixture (authorized, not captured yet)
    [raw] = extract_orders(fixture_json("shopify/rest_order_get_450789469.json"))
    order = normalize(raw)
    assert order.platform_order_id == "450789469"
    assert (order.status, order.raw_status, order.flags) == (
        "pending_payment",
        "authorized/unfulfilled",
        frozenset(),
    )
    assert order.goods_amount == Decimal("398.00")
    assert order.shipping_fee == Decimal(
        "0.00"
    )  # from shipping_lines: this payload has no shipping price set
    assert order.discount == Decimal("0.00")
    assert order.paid_amount == Decimal("409.94")  # total_price includes 11.94 tax (taxes_included false)
    assert order.created_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert order.buyer_id == "207119551"
    assert (order.receiver.name, order.receiver.city) == ("Bob Norman", "Louisville")
    assert order.receiver.detail == "Chestnut Street 92, 40202, US"
    assert [(line.platform_line_id, line.platform_sku_id, line.outer_sku_code) for line in order.lines] == [
        ("466157049", "39072856", "IPOD2008GREEN"),
        ("518995019", "49148385", "IPOD2008RED"),
        ("703073504", "457924702", "IPOD2008BLACK"),
    ]
    assert all(line.paid_amount == Decimal("199.00") for line in order.lines)


def test_a_rounded_float_id_without_graphql_id_is_refused():
    raw = {"id": 8.209829119461545e17, "line_items": [], "financial_status": "paid"}
    with pytest.raises(PayloadError, match="not an integer id"):
        normalize({**raw, "currency": "USD", "total_line_items_price": "1.00", "total_price": "1.00"})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"financial_status": "pending"}, ("pending_payment", frozenset())),
        ({"financial_status": "authorized"}, ("pending_payment", frozenset())),
        ({"financial_status": "paid"}, ("paid", frozenset())),
        (
            {"financial_status": "partially_paid", "fulfillment_status": "partial"},
            ("paid", {"partially_shipped"}),
        ),
        ({"financial_status": "paid", "fulfillment_status": "fulfilled"}, ("shipped", frozenset())),
        (
            {
                "financial_status": "paid",
                "fulfillment_status": "fulfilled",
                "closed_at": "2026-01-01T00:00:00Z",
            },
            ("completed", frozenset()),
        ),
        ({"financial_status": "paid", "cancelled_at": "2026-01-01T00:00:00Z"}, ("cancelled", frozenset())),
        ({"financial_status": "voided"}, ("cancelled", frozenset())),
        ({"financial_status": "refunded"}, ("cancelled", frozenset())),
        ({"financial_status": "partially_refunded"}, ("paid", frozenset())),
    ],
)
def test_status_table(fields, expected):
    status, _, flags = order_status(fields)
    assert (status, flags) == expected


@pytest.mark.parametrize(
    "fields",
    [{"financial_status": "bartered"}, {"financial_status": "paid", "fulfillment_status": "teleported"}],
)
def test_unknown_statuses_are_refused_not_guessed(fields):
    with pytest.raises(PayloadError, match="unknown Shopify"):
        order_status(fields)


def test_unreadable_payloads_raise_payload_errors():
    with pytest.raises(PayloadError):
        normalize({"admin_graphql_api_id": "gid://shopify/Order/1", "financial_status": "paid"})
    with pytest.raises(PayloadError, match="not JSON"):
        extract_orders(b'{"id": 1, "line_')
    with pytest.raises(PayloadError, match="not a Shopify order"):
        extract_orders({"errors": "Not Found"})


# --- webhooks over the samples -----------------------------------------------------------------------


def test_orders_create_webhook_sample_parses_to_a_whole_order(fixture_json):
    headers = fixture_json("shopify/orders_create_headers.json")
    body = json.dumps(fixture_json("shopify/orders_create_body.json")).encode()
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.topic, message.external_id) == (
        "order",
        "orders/create",
        "820982911946154508",
    )
    assert not message.needs_fetch
    assert (
        message.platform_shop_id == PUSH_HANDLER.shop_id_of(headers, body) == "derekmarketing.myshopify.com"
    )
    assert len(message.message_id) == 64  # the 2020 test delivery has no X-Shopify-Webhook-Id: body hash
    assert normalize(ADAPTER.extract_orders(body)[0]).platform_order_id == "820982911946154508"


def test_refunds_create_sample_parses_to_a_refund_message(fixture_json):
    body = json.dumps(fixture_json("shopify/refunds_create_body.json")).encode()
    headers = {
        "x-shopify-topic": "refunds/create",
        "x-shopify-shop-domain": "a.myshopify.com",
        "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.external_id, message.order_id) == ("refund", "509562969", "450789469")
    assert message.message_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    with pytest.raises(PayloadError, match="refund 509562969 of order 450789469 is not an order"):
        extract_orders(body)


def test_webhook_without_topic_or_with_a_cut_body_is_refused():
    with pytest.raises(PayloadError, match="X-Shopify-Topic"):
        PUSH_HANDLER.parse({"x-shopify-shop-domain": "a.myshopify.com"}, b"{}")
    with pytest.raises(PayloadError, match="not JSON"):
        PUSH_HANDLER.parse({"x-shopify-topic": "orders/updated", "x-shopify-shop-domain": "a"}, b'{"id": 1')


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthExpired), (404, PlatformError), (402, PlatformError)]
)
def test_http_errors_map_to_typed_errors(status, error):
    response = httpx.Response(status, json={"errors": "[API] Invalid API key or access token"})
    with pytest.raises(error) as caught:
        raise_for_status(response, "/orders.json")
    assert caught.value.code == str(status)


def test_sandbox_throttle_maps_to_rate_limited_with_retry_after(sandbox, http):
    sandbox.state.faults.throttle_next = 1
    url = sandbox.base_url("shopify") + ORDERS_JSON
    with pytest.raises(RateLimited) as caught:
        request(http, "GET", url, headers={"X-Shopify-Access-Token": "shopify-demo-access-token"})
    assert caught.value.retry_after == 1.0


def test_second_bounds_make_slices_meet_without_overlap():
    lower, upper = NOW, NOW + timedelta(days=30, microseconds=500)
    assert second_bounds(lower, upper) == (NOW, NOW + timedelta(days=30))
    assert second_bounds(upper, upper + timedelta(days=1))[0] == NOW + timedelta(days=30, seconds=1)
    assert second_bounds(NOW, NOW + timedelta(microseconds=1)) == (NOW, NOW)
    assert second_bounds(NOW + timedelta(microseconds=1), NOW + timedelta(microseconds=2)) is None


# --- client against the sandbox ----------------------------------------------------------------------


def test_full_pull_over_several_pages_returns_every_order_once(sandbox, http):
    # given 520 orders: three pages of 250
    made = make_orders(sandbox, 520)
    client = Client(shop_auth(sandbox, "shopify"), http)
    # when pulled
    pulled = pull(client, NOW - timedelta(hours=1), NOW + timedelta(seconds=1))
    # then every order exactly once, every one normalizes, its 19-digit id intact
    assert Counter(str(o["id"]) for o in pulled) == Counter(o.order_id for o in made)
    assert {normalize(raw).platform_order_id for raw in pulled} == {o.order_id for o in made}
    assert len(orders_json_calls(sandbox)) == 3


def test_window_longer_than_the_limit_is_split(sandbox, http):
    # given orders spread over 70 days
    made = make_orders(sandbox, 14, step=timedelta(days=5))
    client = Client(shop_auth(sandbox, "shopify"), http)
    # when pulled in one call
    pulled = pull(client, NOW - timedelta(days=70), NOW + timedelta(seconds=1))
    # then three 30-day slices each asked once, and every order came once
    assert sorted(str(o["id"]) for o in pulled) == sorted(o.order_id for o in made)
    assert len(orders_json_calls(sandbox)) == 3


def test_sandbox_refuses_page_info_with_filters_and_a_limit_over_250(sandbox, http):
    client = Client(shop_auth(sandbox, "shopify"), http)
    with pytest.raises(PlatformError) as caught:
        client.get("/orders.json", {"page_info": "x", "status": "any"})
    assert caught.value.code == "400"
    with pytest.raises(PlatformError) as caught:
        client.get("/orders.json", {"limit": "251"})
    assert caught.value.code == "400"


def test_throttling_is_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.throttle_next = 2
    pulled = pull(
        Client(shop_auth(sandbox, "shopify"), http), NOW - timedelta(hours=1), NOW + timedelta(seconds=1)
    )
    assert len(pulled) == 3
    assert sandbox.state.faults.throttle_next == 0


def test_server_errors_are_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.fail_next = 2
    pulled = pull(
        Client(shop_auth(sandbox, "shopify"), http), NOW - timedelta(hours=1), NOW + timedelta(seconds=1)
    )
    assert len(pulled) == 3


def test_bad_token_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "shopify", access_token="shpat_revoked"), http)
    with pytest.raises(AuthExpired):
        pull(client, NOW - timedelta(hours=1), NOW)


def test_fetch_order_returns_the_detail_that_normalizes_like_the_list(sandbox, http):
    [made] = make_orders(sandbox, 1)
    advance_order(sandbox.state, made, "completed", now=NOW + timedelta(minutes=5))
    client = Client(shop_auth(sandbox, "shopify"), http)
    detail = normalize(client.fetch_order(made.order_id))
    [listed] = pull(client, NOW, NOW + timedelta(minutes=6))
    assert detail == normalize(listed)
    assert (detail.platform_order_id, detail.status, detail.raw_status) == (
        made.order_id,
        "completed",
        "paid/fulfilled/closed",
    )
    with pytest.raises(PlatformError) as caught:
        client.fetch_order("1")
    assert caught.value.code == "404"


# --- webhooks from the sandbox -----------------------------------------------------------------------


def test_sandbox_webhook_verifies_and_parses(sandbox):
    shop = demo_shop("shopify")
    [order] = make_orders(sandbox, 1)
    body = sandbox_shopify.push_body(order, shop)
    headers = {k.lower(): v for k, v in sandbox_shopify.push_headers(body, shop, "http://hook").items()}
    auth = shop_auth(sandbox, "shopify")
    assert PUSH_HANDLER.verify(headers, body, auth)
    assert not PUSH_HANDLER.verify(headers, body, shop_auth(sandbox, "shopify", app_secret="wrong"))
    assert not PUSH_HANDLER.verify(headers, body.replace(b'"paid"', b'"voided"'), auth)
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.topic, message.external_id) == ("order", "orders/paid", order.order_id)
    assert not message.needs_fetch
    assert message.message_id == headers["x-shopify-webhook-id"]
    assert message.platform_shop_id == PUSH_HANDLER.shop_id_of(headers, body) == shop.shop_id
    assert normalize(ADAPTER.extract_orders(body)[0]).status == "paid"
    assert (PUSH_HANDLER.reply(True).status, PUSH_HANDLER.reply(True).body) == (200, {})


# --- round trip ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending_payment", "paid", "shipped", "completed", "cancelled"])
def test_render_order_round_trips_through_normalize(sandbox, status):
    [order] = make_orders(sandbox, 1, status=status)
    normalized = normalize(sandbox_shopify.render_order(order))
    assert (normalized.platform_order_id, normalized.status) == (order.order_id, status)
    assert normalized.goods_amount == order.goods_amount
    assert (normalized.shipping_fee, normalized.discount) == (order.shipping_fee, order.discount)
    assert (
        normalized.paid_amount
        == order.paid_amount
        == order.goods_amount + order.shipping_fee - order.discount
    )
    assert [
        (li.outer_sku_code, li.platform_sku_id, li.quantity, li.unit_price, li.paid_amount)
        for li in normalized.lines
    ] == [(li.sku_code, li.platform_sku_id, li.quantity, li.unit_price, li.paid_amount) for li in order.lines]
