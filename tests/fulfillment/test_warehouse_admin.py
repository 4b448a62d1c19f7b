# ruff: noqa: F811 - pytest fixtures imported from warehouse_fixtures
"""The warehouse console: pages open for the warehouse role, void needs a reason, write-backs retry,
the waves page creates a wave and serves its pick list."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from fulfillment.models_warehouse import ShipWriteBack, Wave, Waybill
from fulfillment.services.shipping import order_ship
from orderhub.events import Actor
from orderhub.roles import WAREHOUSE
from tests.factories import make_user
from tests.fulfillment.warehouse_fixtures import (  # noqa: F401 - fixtures
    allocated_order,
    fast_retries,
    http,
    make_site,
    packed,
    sandbox,
    sandbox_shop,
    skus,
    stock_up,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse_client(client):
    client.force_login(make_user("keeper", groups=[WAREHOUSE]))
    client.cookies["django_language"] = "en"
    return client


def test_console_pages_open(warehouse_client, packed):
    order_ship(order_id=packed[0].pk, actor=Actor.system("dock"))
    for model in ("wave", "parcel", "waybill", "repickup", "shipwriteback", "packscan", "trackingevent"):
        assert warehouse_client.get(f"/admin/fulfillment/{model}/").status_code == 200, model
    page = warehouse_client.get(f"/admin/fulfillment/waybill/{packed[1].pk}/change/")
    assert page.status_code == 200 and "***" in page.content.decode()  # no personal data for this role


def test_void_needs_a_reason(warehouse_client, packed):
    waybill = packed[1]
    url = "/admin/fulfillment/waybill/"
    warehouse_client.post(url, {"action": "void", "_selected_action": [waybill.pk], "reason": ""})
    assert Waybill.objects.get(pk=waybill.pk).status == "active"
    warehouse_client.post(
        url, {"action": "void", "_selected_action": [waybill.pk], "reason": "damaged label"}
    )
    assert Waybill.objects.get(pk=waybill.pk).void_reason == "damaged label"


def test_retry_now_and_waves_page(warehouse_client, packed, django_capture_on_commit_callbacks, monkeypatch):
    from fulfillment.services import shipping

    queued = []
    monkeypatch.setattr(shipping, "async_task", lambda func, **ids: queued.append((func, ids)))
    (writeback,) = order_ship(order_id=packed[0].pk, actor=Actor.system("dock"))
    ShipWriteBack.objects.filter(pk=writeback.pk).update(status="failed", last_error="HTTP 503")
    with django_capture_on_commit_callbacks(execute=True):
        warehouse_client.post(
            "/admin/fulfillment/shipwriteback/", {"action": "retry_now", "_selected_action": [writeback.pk]}
        )
    assert ("fulfillment.tasks_warehouse.ship_writeback_task", {"writeback_id": writeback.pk}) in queued
    listing = warehouse_client.get("/admin/fulfillment/shipwriteback/").content.decode()
    assert "HTTP 503" in listing


def test_waves_page_creates_a_wave_and_serves_the_pick_list(warehouse_client):
    site = make_site()
    (cup,) = skus(1)
    stock_up(site, cup)
    from tests.factories import make_shop

    order = allocated_order(make_shop(), (cup, 1))
    response = warehouse_client.post("/warehouse/waves/", {"warehouse": site.pk, "limit": "50", "kind": ""})
    assert response.status_code == 302
    wave = Wave.objects.get()
    assert list(wave.wave_orders.values_list("order_id", flat=True)) == [order.pk]
    pdf = warehouse_client.get(f"/warehouse/waves/{wave.pk}/pick-list.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    bad = warehouse_client.post("/warehouse/waves/", {"warehouse": "x", "limit": "50"}, follow=True)
    assert "is not a number" in bad.content.decode()


def test_the_pack_station_speaks_chinese(client):
    client.force_login(make_user("zh-keeper", groups=[WAREHOUSE]))
    client.cookies["django_language"] = "zh-hans"  # this suite's other tests read the English source
    page = client.get("/warehouse/pack/").content.decode()
    assert "打包台" in page and "请扫描订单条码" in page


def test_pack_station_prints_the_label_and_ships(warehouse_client, packed, monkeypatch):
    from fulfillment.services import shipping

    monkeypatch.setattr(shipping, "async_task", lambda *args, **kwargs: None)
    order, waybill, _, _ = packed

    label = warehouse_client.post(f"/warehouse/pack/{order.pk}/label.pdf")
    assert label["Content-Type"] == "application/pdf"
    assert waybill.number in PdfReader(BytesIO(label.content)).pages[0].extract_text()
    assert Waybill.objects.get(pk=waybill.pk).printed_count == 1
    shipped = warehouse_client.post(f"/warehouse/pack/{order.pk}/ship/", follow=True)
    assert "shipped; the tracking number is on its way to the platform" in shipped.content.decode()
    assert ShipWriteBack.objects.get(order=order).status == "pending"
    again = warehouse_client.post(f"/warehouse/pack/{order.pk}/ship/", follow=True)
    assert "is not packed" in again.content.decode()  # already shipped: refused, nothing twice
    assert ShipWriteBack.objects.filter(order=order).count() == 1
