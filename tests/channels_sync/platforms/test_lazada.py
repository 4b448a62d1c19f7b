"""Lazada: signing, the mapping over the fixtures, the client against the sandbox, the push."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from channels_sync.platforms.base import AuthExpired, PayloadError, PlatformError, RateLimited, ShopAuth
from channels_sync.platforms.lazada import ADAPTER
from channels_sync.platforms.lazada.client import ORDERS_PATH, WINDOW_LIMIT, Client, raise_for_error, sign
from channels_sync.platforms.lazada.mapping import aggregate_status, extract_orders, normalize
from channels_sync.platforms.lazada.push import PUSH_HANDLER, push_signature
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.platforms import lazada as sandbox_lazada
from tests.channels_sync.conftest import shop_auth

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def vector(fixture_json, platform):
    return next(v for v in fixture_json("_signing_vectors.json")["vectors"] if v["platform"] == platform)


def make_orders(sandbox, count, *, step=timedelta(seconds=7), status="paid"):
    shop = demo_shop("lazada")
    return [
        generate_order(sandbox.state, shop, status=status, now=NOW - step * index, currency="SGD")
        for index in range(count)
    ]


def pull(client, start, end):
    return [order for page in client.fetch_orders(start, end) for order in page]


# --- signing ---------------------------------------------------------------------------------------


def test_api_sign_matches_the_vector(fixture_json):
    # given the published vector
    v = vector(fixture_json, "lazada")
    # when signed / then the string-to-sign and the sign match
    assert v["api_path"] + "".join(k + v["params"][k] for k in sorted(v["params"])) == v["string_to_sign"]
    assert sign(v["secret"], v["api_path"], v["params"]) == v["sign"]


def test_push_signature_matches_the_vector(fixture_json):
    v = vector(fixture_json, "lazada_push")
    assert push_signature(v["app_key"], v["secret"], v["raw_body"].encode()) == v["sign"]


# --- mapping over the samples ----------------------------------------------------------------------


def test_orders_get_rows_alone_are_refused_because_they_carry_no_items(fixture_json):
    # given the verbatim GetOrders response
    rows = extract_orders(fixture_json("lazada/orders_get.json"))
    # then both rows are extracted, ids as strings
    assert [row["order_id"] for row in rows] == ["491253082180001", "491253082180002"]
    # when one is normalized without its items / then it says what is missing
    with pytest.raises(PayloadError, match="491253082180002 has no order_items"):
        normalize(rows[1])


def test_orders_get_row_with_its_order_items_normalizes(fixture_json):
    # given the first GetOrders row and the GetOrderItems sample for the same order
    row = extract_orders(fixture_json("lazada/orders_get.json"))[0]
    items = fixture_json("lazada/order_items_get.json")["data"]
    # when normalized with the items attached, as the client attaches them
    order = normalize({**row, "order_items": items})
    # then
    assert order.platform_order_id == "491253082180001"
    assert (order.status, order.raw_status, order.flags) == ("paid", "pending", frozenset())
    assert order.currency == "SGD"
    assert order.goods_amount == Decimal("106.00")
    assert order.shipping_fee == Decimal("0.54")
    assert order.discount == Decimal("0.00")
    assert order.paid_amount == Decimal("106.54")
    assert order.created_at == datetime(2018, 2, 9, 14, 44, 30, tzinfo=UTC)
    assert order.updated_at == datetime(2018, 2, 9, 14, 44, 30, tzinfo=UTC)
    assert order.paid_at == datetime(2018, 2, 9, 14, 44, 30, tzinfo=UTC)  # payment_time 1518187470000 ms
    assert (order.buyer_id, order.buyer_remark, order.seller_remark) == ("100012345", "red color", "remarks")
    receiver = order.receiver
    assert (receiver.name, receiver.phone) == ("Ha Hung last_name", "6****67")  # masked phone kept as given
    assert (receiver.province, receiver.city, receiver.district) == (
        "address3",
        "Singapore-Singapore-500001",
        "address5",
    )
    assert receiver.detail == "1 CHANGI VILLAGE ROAD, 11, address2, 500001"
    [line] = order.lines
    assert line.platform_line_id == "491253082180101"
    assert (line.platform_sku_id, line.outer_sku_code, line.title) == (
        "1234567890",
        "SPK-BLK-01",
        "Bluetooth Speaker",
    )
    assert (line.quantity, line.unit_price, line.paid_amount) == (1, Decimal("53.00"), Decimal("53.00"))


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["unpaid", "unpaid"], ("pending_payment", frozenset())),
        (["pending", "topack", "ready_to_ship"], ("paid", frozenset())),
        (["shipped", "packed"], ("paid", frozenset({"partially_shipped"}))),
        (["shipped", "delivered"], ("shipped", frozenset())),
        (["delivered", "canceled"], ("completed", frozenset())),
        (["canceled", "returned"], ("cancelled", frozenset())),
        (["failed_delivery"], ("cancelled", frozenset())),
        (["lost_by_3pl", "shipped_back_success"], ("cancelled", frozenset())),
    ],
)
def test_order_status_is_the_aggregate_of_item_statuses(statuses, expected):
    assert aggregate_status(statuses) == expected


def test_unknown_item_status_is_refused_not_guessed():
    with pytest.raises(PayloadError, match="unknown Lazada item status on_the_moon"):
        aggregate_status(["pending", "on_the_moon"])


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"order_id": 4.9e14, "order_items": [{"status": "pending"}]},
        {"order_id": "1", "price": "1.00", "order_items": [{"status": "pending"}]},
        {"order_id": "1", "price": "x", "order_items": [{"status": "pending", "currency": "SGD"}]},
    ],
)
def test_unreadable_orders_raise_payload_errors(raw):
    with pytest.raises(PayloadError):
        normalize(raw)


def test_extract_orders_refuses_garbage_and_error_envelopes():
    with pytest.raises(PayloadError, match="not JSON"):
        extract_orders(b"{cut")
    with pytest.raises(PayloadError, match="IllegalAccessToken"):
        extract_orders({"code": "IllegalAccessToken", "message": "expired"})
    with pytest.raises(PayloadError, match="not a Lazada order"):
        extract_orders({"hello": "world"})


# --- error envelope ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [("ApiCallLimit", RateLimited), ("IllegalAccessToken", AuthExpired), ("InvalidAccessToken", AuthExpired)],
)
def test_error_envelope_maps_to_typed_errors(code, error):
    body = {"code": code, "type": "ISV", "message": "m", "request_id": "0ba2887315178178017221014"}
    with pytest.raises(error) as caught:
        raise_for_error(body, ORDERS_PATH)
    assert caught.value.code == code


def test_other_error_codes_are_platform_errors_with_their_code():
    with pytest.raises(PlatformError) as caught:
        raise_for_error({"code": "IncompleteSignature", "type": "ISV", "message": "m"}, ORDERS_PATH)
    assert caught.value.code == "IncompleteSignature"
    assert not isinstance(caught.value, RateLimited | AuthExpired)


# --- client against the sandbox ----------------------------------------------------------------------


def test_full_pull_over_several_pages_returns_every_order_once(sandbox, http):
    # given 230 orders in the last half hour (three GetOrders pages of 100)
    made = make_orders(sandbox, 230)
    client = Client(shop_auth(sandbox, "lazada"), http)
    # when pulled
    pulled = pull(client, NOW - timedelta(hours=1), NOW + timedelta(seconds=1))
    # then every order comes exactly once, each normalizes with its items
    assert Counter(o["order_id"] for o in pulled) == Counter(o.order_id for o in made)
    normalized = [normalize(raw) for raw in pulled]
    assert {n.status for n in normalized} == {"paid"}
    assert all(n.lines for n in normalized)
    paths = Counter(path for _, path in sandbox.state.calls)
    assert paths[ORDERS_PATH] == 4  # probe + pages at offsets 200, 100 and 0 again
    assert paths["/orders/items/get"] == 5  # item batches of <= 50: 30 (offset 200) + 50+50 + 50+50


def test_window_longer_than_the_limit_is_split(sandbox, http):
    # given orders spread over three days (the sandbox refuses any window over WINDOW_LIMIT)
    made = make_orders(sandbox, 12, step=timedelta(hours=6))
    client = Client(shop_auth(sandbox, "lazada"), http)
    # when three days are pulled
    pulled = pull(client, NOW - timedelta(days=3), NOW + timedelta(seconds=1))
    # then the slices were accepted and every order came once
    assert sorted(o["order_id"] for o in pulled) == sorted(o.order_id for o in made)
    assert Counter(path for _, path in sandbox.state.calls)[ORDERS_PATH] == 4  # 3 days + 1 s in 1-day slices


def test_sandbox_refuses_an_unsplit_window_and_a_page_over_100(sandbox, http):
    client = Client(shop_auth(sandbox, "lazada"), http)
    window = {"update_after": "2026-03-01T00:00:00+00:00", "sort_by": "updated_at", "offset": "0"}
    too_long = {**window, "update_before": (NOW + WINDOW_LIMIT).isoformat(), "limit": "10"}
    with pytest.raises(PlatformError) as caught:
        client.call(ORDERS_PATH, too_long)
    assert caught.value.code == "InvalidParameter"
    with pytest.raises(PlatformError) as caught:
        client.call(ORDERS_PATH, {**window, "update_before": NOW.isoformat(), "limit": "101"})
    assert caught.value.code == "19"


def test_throttling_is_retried(sandbox, http):
    made = make_orders(sandbox, 3)
    sandbox.state.faults.throttle_next = 2
    pulled = pull(
        Client(shop_auth(sandbox, "lazada"), http), NOW - timedelta(hours=1), NOW + timedelta(seconds=1)
    )
    assert len(pulled) == len(made)
    assert sandbox.state.faults.throttle_next == 0


def test_server_errors_are_retried(sandbox, http):
    make_orders(sandbox, 3)
    sandbox.state.faults.fail_next = 2
    pulled = pull(
        Client(shop_auth(sandbox, "lazada"), http), NOW - timedelta(hours=1), NOW + timedelta(seconds=1)
    )
    assert len(pulled) == 3


def test_bad_token_raises_auth_expired(sandbox, http):
    client = Client(shop_auth(sandbox, "lazada", access_token="revoked"), http)
    with pytest.raises(AuthExpired) as caught:
        pull(client, NOW - timedelta(hours=1), NOW)
    assert caught.value.code == "IllegalAccessToken"


def test_bad_signature_is_refused_by_the_sandbox(sandbox, http):
    client = Client(shop_auth(sandbox, "lazada", app_secret="not-the-secret"), http)
    with pytest.raises(PlatformError) as caught:
        pull(client, NOW - timedelta(hours=1), NOW)
    assert caught.value.code == "IncompleteSignature"


def test_fetch_order_returns_the_detail_that_normalizes_like_the_list(sandbox, http):
    # given a shipped order
    [made] = make_orders(sandbox, 1)
    advance_order(sandbox.state, made, "shipped", now=NOW + timedelta(minutes=5))
    client = Client(shop_auth(sandbox, "lazada"), http)
    # when fetched by id and through the list
    detail = normalize(client.fetch_order(made.order_id))
    [listed] = pull(client, NOW, NOW + timedelta(minutes=6))
    # then both read the same
    assert detail == normalize(listed)
    assert (detail.platform_order_id, detail.status, detail.raw_status) == (
        made.order_id,
        "shipped",
        "shipped",
    )


# --- push ----------------------------------------------------------------------------------------------


def test_sandbox_push_verifies_and_parses_as_a_trigger(sandbox):
    # given a push the sandbox builds for a paid order
    shop = demo_shop("lazada")
    [order] = make_orders(sandbox, 1)
    body = sandbox_lazada.push_body(order, shop)
    headers = {k.lower(): v for k, v in sandbox_lazada.push_headers(body, shop, "http://hook").items()}
    auth = shop_auth(sandbox, "lazada")
    # then it verifies with the right secret only, and not once tampered
    assert PUSH_HANDLER.verify(headers, body, auth)
    assert not PUSH_HANDLER.verify(headers, body, shop_auth(sandbox, "lazada", app_secret="wrong"))
    assert not PUSH_HANDLER.verify(headers, body.replace(b"pending", b"unpaid"), auth)
    # and parses to a trigger for the order
    [message] = PUSH_HANDLER.parse(headers, body)
    assert (message.kind, message.external_id, message.needs_fetch) == ("order", order.order_id, True)
    assert message.platform_shop_id == PUSH_HANDLER.shop_id_of(headers, body) == shop.shop_id
    assert PUSH_HANDLER.reply(True).status == 200 and PUSH_HANDLER.reply(True).body == {}
    with pytest.raises(PayloadError, match=f"announces order {order.order_id} only"):
        ADAPTER.extract_orders(body)


def test_trade_order_push_sample_parses_to_an_order_trigger(fixture_json):
    body = json.dumps(fixture_json("lazada/push_trade_order.json")).encode()
    [message] = PUSH_HANDLER.parse({}, body)
    assert (message.kind, message.topic, message.external_id) == ("order", "0", "260422900198363")
    assert message.needs_fetch and message.platform_shop_id == "1234567"
    assert message.message_id == "1234567:260422900198363:260422900298363:unpaid:1603698638"


def test_push_header_sample_is_hex_and_compared_case_insensitively(fixture_json):
    # given the verbatim header (its secret is unknown) and a body signed by us in upper-case hex
    sample = fixture_json("lazada/push_headers.json")["Authorization"]
    assert len(sample) == 64 and int(sample, 16) >= 0
    body = json.dumps(fixture_json("lazada/push_trade_order.json")).encode()
    auth_headers = {"authorization": push_signature("100101", "lazsecret", body).upper()}
    assert PUSH_HANDLER.verify(auth_headers, body, ShopAuth(app_key="100101", app_secret="lazsecret"))


def test_reverse_order_push_sample_parses_to_a_refund(fixture_json):
    body = json.dumps(fixture_json("lazada/push_reverse_order.json")).encode()
    [message] = PUSH_HANDLER.parse({}, body)
    assert (message.kind, message.external_id, message.order_id) == (
        "refund",
        "501977696648153",
        "252883361348153",
    )
    assert message.needs_fetch


def test_malformed_push_raises_payload_error():
    with pytest.raises(PayloadError):
        PUSH_HANDLER.parse({}, b'{"seller_id": "1", "message_type": 0, "da')
    with pytest.raises(PayloadError):
        PUSH_HANDLER.parse({}, b'{"seller_id": "1", "message_type": 0, "data": {}}')


# --- round trip ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending_payment", "paid", "shipped", "completed", "cancelled"])
def test_render_order_round_trips_through_normalize(sandbox, status):
    # given a sandbox order with several units of some lines and maybe a coupon
    [order] = make_orders(sandbox, 1, status=status)
    # when rendered as Lazada sends it and normalized
    normalized = normalize(sandbox_lazada.render_order(order))
    # then ids, status and amounts come back
    assert (normalized.platform_order_id, normalized.status) == (order.order_id, status)
    assert normalized.goods_amount == order.goods_amount
    assert (
        normalized.paid_amount
        == order.paid_amount
        == order.goods_amount + order.shipping_fee - order.discount
    )
    assert (normalized.shipping_fee, normalized.discount) == (order.shipping_fee, order.discount)
    # and Lazada's one-item-per-unit lines add up to the neutral lines
    per_sku = Counter()
    paid = Counter()
    for line in normalized.lines:
        per_sku[line.outer_sku_code] += line.quantity
        paid[line.outer_sku_code] += line.paid_amount
    assert per_sku == {line.sku_code: line.quantity for line in order.lines}
    assert paid == {line.sku_code: line.paid_amount for line in order.lines}
    assert sum(line.paid_amount for line in normalized.lines) == order.paid_amount - order.shipping_fee
