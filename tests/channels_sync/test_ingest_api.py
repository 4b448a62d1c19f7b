"""POST /api/v1/orders/ingest/: normalized orders from an independent site, stored raw, upserted at once."""

import json

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from channels_sync.models import InboundEvent, InboundSource, InboundStatus
from orderhub.models import Hold, Order
from orderhub.status import HoldKind
from tests.factories import make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/ingest/"


def order_json(order_id="WEB-1", *, updated_at="2026-11-11T10:05:00+08:00", sku="TEA-001", **fields):
    return {
        "platform_order_id": order_id,
        "status": "paid",
        "currency": "CNY",
        "goods_amount": "198.00",
        "shipping_fee": "10.00",
        "discount": "20.00",
        "paid_amount": "188.00",
        "created_at": "2026-11-11T10:02:00+08:00",
        "paid_at": "2026-11-11T10:03:10+08:00",
        "updated_at": updated_at,
        "buyer_id": "member-778",
        "buyer_remark": "",
        "receiver": {
            "name": "王小明",
            "phone": "13800138000",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "detail": "文三路 90 号 502 室",
        },
        "lines": [
            {
                "outer_sku_code": sku,
                "title": "西湖龙井 250g",
                "quantity": 2,
                "unit_price": "99.00",
                "paid_amount": "178.00",
            }
        ],
        **fields,
    }


@pytest.fixture(autouse=True)
def english(client):
    # Messages are asserted in their English source; the console defaults to Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def web_shop():
    make_sku("TEA-001")
    return make_shop("manual", code="web")


@pytest.fixture
def api(client):
    user = make_user("site", permissions=["channels_sync.add_inboundevent"])
    token = Token.objects.create(user=user)

    def post(body, **extra):
        data = body if isinstance(body, str) else json.dumps(body)
        return client.post(
            URL, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}", **extra
        )

    return post


def test_a_new_order_is_stored_raw_and_created(api, web_shop):
    response = api({"shop": "web", "orders": [order_json()]})

    assert response.status_code == 200, response.content
    body = response.json()
    order = Order.objects.get(shop=web_shop, platform_order_id="WEB-1")
    assert body["results"] == [
        {"platform_order_id": "WEB-1", "result": "created", "order_id": order.pk, "error": ""}
    ]
    assert body["summary"] == {"created": 1}
    assert (order.status, str(order.paid_amount), order.receiver_phone) == ("paid", "188.00", "13800138000")
    event = InboundEvent.objects.get()
    assert (event.source, event.platform, event.shop_id, event.status) == (
        InboundSource.INGEST,
        "manual",
        web_shop.pk,
        InboundStatus.DONE,
    )
    assert (event.external_id, event.order_id) == ("WEB-1", order.pk)


def test_the_same_order_posted_again_is_unchanged_and_stays_one_order(api, web_shop):
    api({"shop": "web", "orders": [order_json()]})
    # Key order differs, content does not.
    reordered = dict(reversed(list(order_json().items())))

    response = api({"shop": "web", "orders": [reordered]})

    assert response.status_code == 200
    assert response.json()["results"][0]["result"] == "unchanged"
    assert Order.objects.count() == 1 and InboundEvent.objects.count() == 1


def test_a_newer_update_updates_and_an_older_one_is_stale(api, web_shop):
    api({"shop": "web", "orders": [order_json()]})
    shipped = order_json(status="shipped", updated_at="2026-11-11T12:00:00+08:00")
    older = order_json(buyer_remark="late news", updated_at="2026-11-11T11:00:00+08:00")

    response = api({"shop": "web", "orders": [shipped, older]})

    assert response.status_code == 200
    assert [r["result"] for r in response.json()["results"]] == ["updated", "stale"]
    order = Order.objects.get()
    assert (order.status, order.buyer_remark) == ("shipped", "")


def test_an_invalid_order_is_kept_as_a_dead_letter_and_the_others_go_through(api, web_shop):
    bad = order_json("WEB-2", paid_amount="12.345")
    no_lines = order_json("WEB-3", lines=[])

    response = api({"shop": "web", "orders": [order_json(), bad, no_lines, "not an order"]})

    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["created", "failed", "failed", "failed"]
    assert "paid_amount" in results[1]["error"] and "lines" in results[2]["error"]
    assert results[3]["platform_order_id"] == "" and "JSON object" in results[3]["error"]
    assert list(Order.objects.values_list("platform_order_id", flat=True)) == ["WEB-1"]
    dead = InboundEvent.objects.filter(status=InboundStatus.DEAD)
    assert dead.count() == 3
    assert "paid_amount" in dead.get(external_id="WEB-2").last_error


def test_an_invalid_order_sent_again_is_still_failed_and_stored_once(api, web_shop):
    bad = order_json("WEB-2", status="lost")
    api({"shop": "web", "orders": [bad]})

    response = api({"shop": "web", "orders": [bad]})

    assert response.status_code == 207
    assert response.json()["results"][0]["result"] == "failed"
    assert "status" in response.json()["results"][0]["error"]
    assert InboundEvent.objects.count() == 1


def test_an_unmapped_sku_creates_the_order_and_holds_it(api, web_shop):
    response = api({"shop": "web", "orders": [order_json(sku="NOT-IN-CATALOGUE")]})

    assert response.json()["results"][0]["result"] == "created"
    hold = Hold.objects.get(order__platform_order_id="WEB-1")
    assert (hold.kind, hold.level) == (HoldKind.UNMAPPED_SKU, 3)


def test_the_same_order_id_in_two_offline_shops_is_two_orders(api, web_shop):
    make_shop("manual", code="store")

    api({"shop": "web", "orders": [order_json()]})
    response = api({"shop": "store", "orders": [order_json()]})

    assert response.json()["results"][0]["result"] == "created"
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"shop": "nowhere", "orders": [order_json()]}, "Unknown shop"),
        ({"shop": "tmall", "orders": [order_json()]}, "push and pull"),
        ({"shop": "closed", "orders": [order_json()]}, "not active"),
        ({"orders": [order_json()]}, "shop"),
        ({"shop": "web", "orders": {"platform_order_id": "WEB-1"}}, "orders"),
        ({"shop": "web", "orders": []}, "orders"),
        ({"shop": "web", "orders": [order_json(f"W{n}") for n in range(501)]}, "500"),
        ([order_json()], "dictionary"),
        ("{not json", "JSON"),
    ],
)
def test_an_unusable_body_is_a_400_and_stores_nothing(api, web_shop, body, message):
    make_shop("taobao", code="tmall")
    make_shop("manual", code="closed", active=False)

    response = api(body)

    assert response.status_code == 400, response.content
    assert message in response.json()["error"]["message"]
    assert not InboundEvent.objects.exists() and not Order.objects.exists()


def test_without_the_permission_the_request_is_refused(client, web_shop):
    user = make_user("viewer", permissions=["orderhub.view_order"])
    token = Token.objects.create(user=user)

    response = client.post(
        URL,
        data=json.dumps({"shop": "web", "orders": [order_json()]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_without_credentials_the_request_is_refused(client, web_shop):
    response = client.post(
        URL, data=json.dumps({"shop": "web", "orders": [order_json()]}), content_type="application/json"
    )

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_a_shop_scoped_user_cannot_send_to_another_shop(client, web_shop):
    user = make_user("scoped", permissions=["channels_sync.add_inboundevent"])
    make_shop("manual", code="store").staff.add(user)
    token = Token.objects.create(user=user)

    response = client.post(
        URL,
        data=json.dumps({"shop": "web", "orders": [order_json()]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )

    assert response.status_code == 400
    assert "Unknown shop" in response.json()["error"]["message"]
    assert not InboundEvent.objects.exists()


def test_the_endpoint_is_documented_in_the_openapi_schema(client, web_shop):
    client.force_login(make_user("reader", superuser=True))

    schema = client.get("/api/v1/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/orders/ingest/"]["post"]
    assert operation["operationId"] == "orders_ingest"
    assert {"200", "207", "400", "403"} <= set(operation["responses"])
    request = schema["components"]["schemas"]["OrdersIngestRequest"]["properties"]["orders"]
    assert request["maxItems"] == 500 and request["items"]["$ref"].endswith("IngestOrderRequest")


def test_an_order_that_could_not_be_stored_fails_and_is_retried_when_sent_again(api, web_shop, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("channels_sync.services.inbound.orders_upsert", broken)
    first = api({"shop": "web", "orders": [order_json()]})
    monkeypatch.undo()

    second = api({"shop": "web", "orders": [order_json()]})

    assert first.status_code == 207 and "database went away" in first.json()["results"][0]["error"]
    assert second.status_code == 200 and second.json()["results"][0]["result"] == "created"
    assert Order.objects.count() == 1 and InboundEvent.objects.get().status == InboundStatus.DONE
