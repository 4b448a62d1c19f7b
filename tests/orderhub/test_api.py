import pytest
from rest_framework.authtoken.models import Token

from orderhub.models import Sku, SkuMapping
from orderhub.roles import ADMINISTRATOR, CUSTOMER_SERVICE, WAREHOUSE
from tests.factories import T0, make_order, make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("boss", groups=[ADMINISTRATOR]))
    return client


@pytest.fixture
def orders():
    tmall, jd = make_shop("taobao", code="tmall"), make_shop("jd", code="jd")
    return {
        "paid": make_order(tmall, "A1", status="paid"),
        "shipped": make_order(tmall, "A2", status="shipped", created_at=T0.replace(day=1)),
        "jd": make_order(jd, "B1", status="paid", platform="jd"),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["platform_order_id"] for row in response.json()["results"])


def test_order_filters(admin_client, orders):
    assert ids(admin_client.get("/api/v1/orders/?shop=tmall")) == ["A1", "A2"]
    assert ids(admin_client.get("/api/v1/orders/?platform=jd")) == ["B1"]
    assert ids(admin_client.get("/api/v1/orders/?status=shipped")) == ["A2"]
    assert ids(admin_client.get("/api/v1/orders/?status=paid&status=shipped&shop=tmall")) == ["A1", "A2"]
    assert ids(admin_client.get("/api/v1/orders/?platform_order_id=B1")) == ["B1"]
    assert ids(admin_client.get("/api/v1/orders/?created_before=2026-11-05T00:00:00%2B08:00")) == ["A2"]
    assert ids(admin_client.get("/api/v1/orders/?has_open_hold=true")) == ["A1", "A2", "B1"]  # SKU-A unmapped
    assert ids(admin_client.get("/api/v1/orders/?receiver_phone=13812341234&shop=jd")) == ["B1"]


def test_order_detail_has_lines_holds_and_events(admin_client, orders):
    body = admin_client.get(f"/api/v1/orders/{orders['paid'].pk}/").json()

    assert body["lines"][0]["outer_sku_code"] == "SKU-A"
    assert body["holds"][0]["kind"] == "unmapped_sku"
    assert [event["type"] for event in body["events"]][:2] == ["order_received", "lines_mapped"]
    assert body["paid_amount"] == "50.00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("colour=red", "colour"),
        ("status=lost", "status"),
        ("created_after=yesterday", "created_after"),
        ("platform=ebay", "platform"),
        ("is_priority=maybe", "is_priority"),
        ("page=abc", None),
    ],
)
def test_bad_filters_are_a_400_with_a_clear_message(admin_client, orders, query, field):
    response = admin_client.get(f"/api/v1/orders/?{query}")

    assert response.status_code in (400, 404)
    error = response.json()["error"]
    assert error["message"]
    if field:
        assert response.status_code == 400
        assert field in error["details"]


def test_unauthenticated_requests_are_refused(client):
    assert client.get("/api/v1/orders/").status_code in (401, 403)


def test_token_auth(client, orders):
    user = make_user("integration", groups=[ADMINISTRATOR])
    token = Token.objects.create(user=user)

    response = client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_shop_scoping_limits_what_a_user_sees(client, orders):
    user = make_user("scoped", groups=[CUSTOMER_SERVICE])
    orders["jd"].shop.staff.add(user)
    client.force_login(user)

    assert ids(client.get("/api/v1/orders/")) == ["B1"]
    assert client.get(f"/api/v1/orders/{orders['paid'].pk}/").status_code == 404


def test_sku_create_update_and_validation(admin_client):
    created = admin_client.post(
        "/api/v1/skus/",
        {"code": "NEW-1", "name": "试吃装", "price": "9.90", "barcode": "6900000000017"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content

    updated = admin_client.patch("/api/v1/skus/NEW-1/", {"price": "8.80"}, content_type="application/json")
    assert updated.json()["price"] == "8.80"

    duplicate = admin_client.post(
        "/api/v1/skus/", {"code": "NEW-1", "name": "x", "price": "1"}, content_type="application/json"
    )
    negative = admin_client.post(
        "/api/v1/skus/", {"code": "NEW-2", "name": "x", "price": "-1"}, content_type="application/json"
    )
    assert duplicate.status_code == negative.status_code == 400
    assert duplicate.json()["error"]["details"]["code"]
    assert "price" in negative.json()["error"]["details"]


def test_sku_mapping_with_a_bundle_maps_waiting_orders(admin_client, orders):
    make_sku(code="FOOD"), make_sku(code="BOWL")

    response = admin_client.post(
        "/api/v1/sku-mappings/",
        {
            "shop": "tmall",
            "outer_sku_code": "SKU-A",
            "items": [{"sku": "FOOD", "quantity": 2}, {"sku": "BOWL"}],
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["items"] == [{"sku": "FOOD", "quantity": 2}, {"sku": "BOWL", "quantity": 1}]
    paid = orders["paid"]
    assert not paid.holds.filter(status="open").exists()
    assert orders["jd"].holds.filter(status="open").exists()  # other shop, other mapping


def test_sku_mapping_errors(admin_client, orders):
    no_key = admin_client.post(
        "/api/v1/sku-mappings/", {"shop": "tmall", "items": [{"sku": "x"}]}, content_type="application/json"
    )
    unknown_sku = admin_client.post(
        "/api/v1/sku-mappings/",
        {"shop": "tmall", "outer_sku_code": "Z", "items": [{"sku": "NOPE"}]},
        content_type="application/json",
    )
    no_items = admin_client.post(
        "/api/v1/sku-mappings/",
        {"shop": "tmall", "outer_sku_code": "Z", "items": []},
        content_type="application/json",
    )

    assert no_key.status_code == unknown_sku.status_code == no_items.status_code == 400
    assert "items" in unknown_sku.json()["error"]["details"]
    assert SkuMapping.objects.count() == 0


def test_warehouse_cannot_write_mappings(client, orders):
    client.force_login(make_user("picker", groups=[WAREHOUSE]))

    response = client.post(
        "/api/v1/sku-mappings/",
        {"shop": "tmall", "outer_sku_code": "Z", "items": []},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_deleting_a_sku_in_use_is_a_conflict_not_a_500(admin_client, orders):
    sku = make_sku(code="USED")
    admin_client.post(
        "/api/v1/sku-mappings/",
        {"shop": "tmall", "outer_sku_code": "Q", "items": [{"sku": "USED"}]},
        content_type="application/json",
    )

    response = admin_client.delete("/api/v1/skus/USED/")

    assert response.status_code == 409
    assert Sku.objects.filter(pk=sku.pk).exists()


def test_schema_and_docs_are_served(admin_client):
    schema = admin_client.get("/api/v1/schema/")
    docs = admin_client.get("/api/v1/docs/")

    assert schema.status_code == 200 and b"/api/v1/orders/" in schema.content
    assert docs.status_code == 200
