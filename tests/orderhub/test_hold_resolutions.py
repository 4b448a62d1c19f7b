"""The decision queue's one-click resolutions: edit the address, map the SKU."""

import pytest
from django.conf import settings
from django.db import connection

from orderhub.events import Actor
from orderhub.exceptions import InvalidInput, InvalidTransition
from orderhub.roles import CUSTOMER_SERVICE, WAREHOUSE
from orderhub.services.holds import hold_place
from orderhub.services.orders import order_address_edit
from tests.factories import make_order, make_shop, make_user

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
NEW = {"province": "浙江省", "city": "杭州市", "district": "滨江区", "detail": "网商路 599 号 3 幢 1201"}


@pytest.fixture
def held_order():
    order = make_order(make_shop(), "ADDR-1")  # its SKU-A line is unmapped: a level-3 hold as well
    hold_place(order=order, kind="address", reason="address cannot be resolved", actor=SYSTEM)
    return order


def test_editing_the_address_updates_it_encrypted_and_releases_the_hold(held_order):
    order = order_address_edit(order_id=held_order.pk, actor=SYSTEM, note="called the buyer", **NEW)

    order.refresh_from_db()
    assert (order.receiver_district, order.receiver_detail) == ("滨江区", NEW["detail"])
    hold = order.holds.get(kind="address")
    assert (hold.status, hold.resolution, hold.resolution_note) == (
        "resolved",
        "edit_address",
        "called the buyer",
    )
    event = order.events.get(type="address_edited")
    assert event.parameters["changed_fields"] == ["receiver_district", "receiver_detail"]
    assert "网商路" not in str(event.parameters)  # the street never enters the audit trail
    with connection.cursor() as cursor:
        cursor.execute("SELECT receiver_detail FROM orderhub_order WHERE id = %s", [order.pk])
        assert "网商路" not in cursor.fetchone()[0]


def test_an_incomplete_address_or_a_shipped_order_is_refused(held_order):
    with pytest.raises(InvalidInput):
        order_address_edit(order_id=held_order.pk, actor=SYSTEM, **(NEW | {"district": " "}))
    shipped = make_order(make_shop(), "SHIP-1", status="shipped")
    with pytest.raises(InvalidTransition):
        order_address_edit(order_id=shipped.pk, actor=SYSTEM, **NEW)


def test_the_queue_offers_the_fix_each_hold_needs(client, held_order):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))
    unmapped = held_order.holds.get(kind="unmapped_sku")

    page = client.get("/admin/orderhub/hold/").content.decode()

    assert f"/admin/orderhub/hold/{held_order.holds.get(kind='address').pk}/edit-address/" in page
    assert f"/admin/orderhub/skumapping/add/?shop={held_order.shop_id}" in page
    assert f"outer_sku_code={unmapped.details['lines'][0]['outer_sku_code']}" in page


def test_the_edit_address_page_saves_through_the_service(client, held_order):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))
    hold = held_order.holds.get(kind="address")

    form = client.get(f"/admin/orderhub/hold/{hold.pk}/edit-address/")
    saved = client.post(f"/admin/orderhub/hold/{hold.pk}/edit-address/", NEW | {"note": "fixed"})

    assert form.status_code == 200 and "文三路" not in form.content.decode()  # masked user: no old street
    assert saved.status_code == 302
    hold.refresh_from_db()
    assert hold.resolution == "edit_address" and hold.resolved_by.username == "kefu"


def test_warehouse_staff_cannot_edit_addresses(client, held_order):
    client.force_login(make_user("picker", groups=[WAREHOUSE]))
    hold = held_order.holds.get(kind="address")

    response = client.post(f"/admin/orderhub/hold/{hold.pk}/edit-address/", NEW)

    hold.refresh_from_db()
    assert response.status_code in (403, 404) and hold.status == "open"
