"""The rule settings pages: the settings singleton, adding rules through the admin, role access."""

from decimal import Decimal

import pytest

import fulfillment.admin_rules  # noqa: F401 - registers the pages even before fulfillment/admin.py imports it
from fulfillment.models import CarrierRule, FulfillmentSettings, GiftRule, RoutingRule, Warehouse
from orderhub.roles import CUSTOMER_SERVICE
from tests.factories import make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db
SETTINGS_URL = "/admin/fulfillment/fulfillmentsettings/"


@pytest.fixture
def boss(client):
    client.force_login(make_user("boss", superuser=True))
    return client


def test_settings_list_opens_the_single_row_creating_it_once(boss):
    first = boss.get(SETTINGS_URL)
    second = boss.get(SETTINGS_URL)

    row = FulfillmentSettings.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"{SETTINGS_URL}{row.pk}/change/"


def test_settings_cannot_be_added_twice_or_deleted(boss):
    row = FulfillmentSettings.current()

    assert boss.get(f"{SETTINGS_URL}add/").status_code == 403
    assert boss.post(f"{SETTINGS_URL}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert FulfillmentSettings.objects.count() == 1


def test_settings_are_edited_on_their_page(boss):
    row = FulfillmentSettings.current()
    form = {
        "address_check": "on",
        "risk_check": "on",
        "risk_orders_per_phone_24h": "3",
        "risk_first_order_amount": "2000.00",
        "stock_check": "on",
        "merge_window_minutes": "45",
        "merge_across_shops": "on",
        "split_allowed": "on",
        "presale_balance_days": "7",
    }

    response = boss.post(f"{SETTINGS_URL}{row.pk}/change/", form)

    row.refresh_from_db()
    assert response.status_code == 302
    assert (row.risk_orders_per_phone_24h, row.merge_window_minutes) == (3, 45)
    assert row.risk_first_order_amount == Decimal("2000.00") and not row.merge_across_platforms


def test_a_gift_rule_is_created_through_the_add_view(boss):
    fountain, refill = make_sku(code="ZP-2026-01"), make_sku(code="FP-001")
    shop = make_shop()

    response = boss.post(
        "/admin/fulfillment/giftrule/add/",
        {
            "name": "fountain gift",
            "priority": "10",
            "active": "on",
            "trigger_skus": [fountain.pk],
            "min_paid_amount": "299",
            "shops": [shop.pk],
            "gift_sku": refill.pk,
            "gift_quantity": "1",
            "label_note": "赠品:智能饮水机滤芯×1",
            "label_position": "remark",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    rule = GiftRule.objects.get()
    assert rule.gift_sku == refill and list(rule.trigger_skus.all()) == [fountain]
    assert list(rule.shops.all()) == [shop] and rule.min_paid_amount == Decimal("299.00")


def test_a_gift_rule_ending_before_it_starts_is_refused(boss):
    refill = make_sku(code="FP-001")

    response = boss.post(
        "/admin/fulfillment/giftrule/add/",
        {
            "name": "backwards",
            "priority": "10",
            "gift_sku": refill.pk,
            "gift_quantity": "1",
            "label_position": "remark",
            "starts_at_0": "2026-11-12",
            "starts_at_1": "00:00:00",
            "ends_at_0": "2026-11-11",
            "ends_at_1": "00:00:00",
        },
    )

    assert response.status_code == 200 and not GiftRule.objects.exists()


def _routing_form(provinces: str, warehouse: Warehouse) -> dict:
    return {
        "name": "East China",
        "provinces": provinces,
        "priority": "10",
        "active": "on",
        "warehouses-TOTAL_FORMS": "1",
        "warehouses-INITIAL_FORMS": "0",
        "warehouses-MIN_NUM_FORMS": "1",
        "warehouses-MAX_NUM_FORMS": "1000",
        "warehouses-0-rank": "1",
        "warehouses-0-warehouse": warehouse.pk,
        "warehouses-0-delivery_days": "1",
    }


def test_routing_rule_provinces_are_typed_as_text_and_stored_in_full(boss):
    suzhou = Warehouse.objects.create(code="SZ", name="苏州仓", province="江苏省", city="苏州市")

    response = boss.post(
        "/admin/fulfillment/routingrule/add/", _routing_form("上海、江苏省，浙江 安徽省", suzhou)
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert rule.provinces == ["上海市", "江苏省", "浙江省", "安徽省"]
    assert [entry.warehouse for entry in rule.warehouses.all()] == [suzhou]
    page = boss.get(f"/admin/fulfillment/routingrule/{rule.pk}/change/").content.decode()
    assert "上海市、江苏省、浙江省、安徽省" in page


def test_an_unknown_province_is_refused_with_its_name(boss):
    suzhou = Warehouse.objects.create(code="SZ", name="苏州仓", province="江苏省", city="苏州市")

    response = boss.post("/admin/fulfillment/routingrule/add/", _routing_form("浙江、火星", suzhou))

    assert response.status_code == 200 and "火星" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_region_carrier_rule_needs_provinces(boss):
    from fulfillment.models import Carrier

    ems = Carrier.objects.create(code="EMS", name="EMS")
    form = {"name": "remote", "kind": "region", "carrier": ems.pk, "priority": "10", "surcharge": "8.00"}

    refused = boss.post("/admin/fulfillment/carrierrule/add/", form)
    accepted = boss.post("/admin/fulfillment/carrierrule/add/", form | {"provinces": "新疆、西藏"})

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert CarrierRule.objects.get().provinces == ["新疆维吾尔自治区", "西藏自治区"]


def test_buyer_tags_are_searched_by_buyer_id(boss):
    from fulfillment.models import BuyerTag

    BuyerTag.objects.create(platform="taobao", buyer_id="tb-loyal-42", tag="loyal")
    BuyerTag.objects.create(platform="jd", buyer_id="jd-other", tag="vip")

    page = boss.get("/admin/fulfillment/buyertag/?q=loyal-42").content.decode()

    assert "tb-loyal-42" in page and "jd-other" not in page


def test_customer_service_reads_the_rules_but_cannot_change_them(client):
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))
    row = FulfillmentSettings.current()

    for page in ("routingrule", "carrierrule", "giftrule"):
        assert client.get(f"/admin/fulfillment/{page}/").status_code == 200, page
        assert client.get(f"/admin/fulfillment/{page}/add/").status_code == 403, page
    assert client.get(f"{SETTINGS_URL}{row.pk}/change/").status_code == 200  # read-only view
    client.post(f"{SETTINGS_URL}{row.pk}/change/", {"risk_orders_per_phone_24h": 99})
    assert FulfillmentSettings.current().risk_orders_per_phone_24h == 5
    assert client.post(f"{SETTINGS_URL}{row.pk}/delete/", {"post": "yes"}).status_code == 403


def test_staff_without_the_permission_cannot_open_the_settings(client):
    client.force_login(make_user("nobody"))

    assert client.get(SETTINGS_URL).status_code == 403


@pytest.mark.parametrize("page", ["routingrule", "carrierrule", "giftrule", "buyertag"])
def test_every_rule_page_renders_its_list_and_add_form(boss, page):
    assert boss.get(f"/admin/fulfillment/{page}/").status_code == 200
    assert boss.get(f"/admin/fulfillment/{page}/add/").status_code == 200
