import pytest

from orderhub.events import Actor
from orderhub.models import Hold
from orderhub.roles import ADMINISTRATOR, CUSTOMER_SERVICE, FINANCE, WAREHOUSE
from orderhub.services.holds import hold_place
from tests.factories import make_order, make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def kefu(client):
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))
    return client


def changelist_ids(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_order_list_filters_and_search(kefu):
    tmall = make_shop("taobao", code="tmall")
    make_sku(code="SKU-A")
    held = make_order(tmall, "HELD-1", lines=None)
    Hold.objects.filter(order=held).delete()
    hold_place(order=held, kind="risk", reason="r", actor=Actor.system("t"))
    make_order(tmall, "FREE-1", phone="13900001111")
    make_order(make_shop("jd"), "JD-1", status="shipped")

    assert "HELD-1" in changelist_ids(kefu.get("/admin/orderhub/order/?has_open_hold=yes"))
    assert "FREE-1" not in changelist_ids(kefu.get("/admin/orderhub/order/?has_open_hold=yes"))
    assert "JD-1" in changelist_ids(kefu.get("/admin/orderhub/order/?status__exact=shipped"))
    assert "JD-1" not in changelist_ids(kefu.get("/admin/orderhub/order/?shop__platform__exact=taobao"))
    by_phone = changelist_ids(kefu.get("/admin/orderhub/order/?q=139-0000-1111"))
    assert "FREE-1" in by_phone and "HELD-1" not in by_phone
    assert "HELD-1" in changelist_ids(kefu.get("/admin/orderhub/order/?q=HELD-1"))


def test_order_page_shows_lines_holds_timeline_and_payload(kefu):
    order = make_order(make_shop(), "P-1")

    html = kefu.get(f"/admin/orderhub/order/{order.pk}/change/").content.decode()

    assert "item SKU-A" in html  # line title
    assert "unmapped_sku" in html or "未映射" in html or "unmapped SKU" in html
    assert "order_received" in html and "lines_mapped" in html  # timeline
    assert "raw-payload" in html and "P-1" in html


def test_admin_actions_call_services(kefu):
    order = make_order(make_shop(), "ACT-1")

    kefu.post("/admin/orderhub/order/", {"action": "mark_priority", "_selected_action": [order.pk]})
    kefu.post("/admin/orderhub/hold/", {"action": "approve", "_selected_action": [order.holds.get().pk]})
    kefu.post("/admin/orderhub/order/", {"action": "cancel_orders", "_selected_action": [order.pk]})

    order.refresh_from_db()
    assert order.is_priority and order.status == "cancelled"
    hold = order.holds.get()
    assert (hold.status, hold.resolution, hold.resolved_by.username) == ("resolved", "approve", "kefu")
    assert set(order.events.values_list("type", flat=True)) >= {
        "priority_changed",
        "hold_resolved",
        "status_changed",
    }


def test_cancel_of_a_completed_order_is_reported_not_crashed(kefu):
    order = make_order(make_shop(), "DONE-1", status="completed")

    response = kefu.post(
        "/admin/orderhub/order/", {"action": "cancel_orders", "_selected_action": [order.pk]}, follow=True
    )

    order.refresh_from_db()
    assert order.status == "completed"
    assert "cannot go from completed to cancelled" in response.content.decode()


def test_warehouse_and_finance_cannot_cancel_or_resolve(client):
    order = make_order(make_shop(), "W-1")
    for role in (WAREHOUSE, FINANCE):
        client.force_login(make_user(f"user-{role[:2]}", groups=[role]))
        client.post("/admin/orderhub/order/", {"action": "cancel_orders", "_selected_action": [order.pk]})
        client.post(
            "/admin/orderhub/hold/", {"action": "approve", "_selected_action": [order.holds.get().pk]}
        )
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.holds.get().status == "open"


def test_hold_queue_lists_open_holds_by_default(kefu):
    order = make_order(make_shop(), "Q-1")

    html = kefu.get("/admin/orderhub/hold/").content.decode()

    assert "Q-1" in html and order.holds.get().reason in html


def test_console_home_links_each_role_to_its_work(client):
    make_order(make_shop(), "H-1")
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))
    home = client.get("/").content.decode()
    assert "/admin/orderhub/hold/" in home and "/admin/orderhub/order/" in home
    assert "/admin/django_q/schedule/" not in home

    client.force_login(make_user("boss", groups=[ADMINISTRATOR]))
    assert "/admin/django_q/schedule/" in client.get("/").content.decode()


def test_console_home_needs_login(client):
    assert client.get("/").status_code == 302


def test_language_switch_to_english(client):
    client.force_login(make_user("boss", groups=[ADMINISTRATOR]))
    chinese = client.get("/admin/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    english = client.get("/admin/").content.decode()

    assert "订单、拦截队列与基础资料" in chinese
    assert "Orders, holds and master data" in english


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_chinese_is_the_default_whatever_the_browser_prefers(client):
    client.force_login(make_user("boss", groups=[ADMINISTRATOR]))

    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert "订单、拦截队列与基础资料" in page


def test_home_links_warehouse_staff_to_stock_and_customer_service_to_rules(client):
    client.force_login(make_user("picker", groups=[WAREHOUSE]))
    warehouse_home = client.get("/").content.decode()
    client.force_login(make_user("kefu2", groups=[CUSTOMER_SERVICE]))
    service_home = client.get("/").content.decode()

    assert "/admin/fulfillment/stock/" in warehouse_home
    assert "/admin/fulfillment/fulfillmentsettings/" in service_home
