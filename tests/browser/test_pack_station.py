"""The pack-scan station in headless Chromium, driven as a keyboard-wedge scanner would: type the code,
press Enter. A correct parcel is packed; a wrong SKU is refused loudly; a missing gift blocks packing."""

import pytest

from fulfillment.models import GiftRule
from fulfillment.models_warehouse import PackScan, Parcel
from orderhub.roles import WAREHOUSE
from tests.factories import make_shop, make_sku
from tests.fulfillment.warehouse_fixtures import allocated_order, make_site, stock_up

pytestmark = pytest.mark.browser


def scan(page, code: str) -> None:
    with page.expect_navigation():
        page.fill("#barcode", code)
        page.press("#barcode", "Enter")


@pytest.fixture
def station(live_server, browser_page_as):
    page = browser_page_as(WAREHOUSE)
    page.goto(live_server.url + "/warehouse/pack/")
    return page


@pytest.fixture
def goods():
    site = make_site()
    cup, lid, brush = make_sku(name="保温杯"), make_sku(name="杯盖"), make_sku(name="杯刷")
    stock_up(site, cup, lid, brush)
    return cup, lid, brush


def test_a_correct_parcel_is_packed(station, goods):
    cup, lid, _ = goods
    order = allocated_order(make_shop(), (cup, 2), (lid, 1))

    scan(station, order.platform_order_id)
    assert station.locator("#missing-summary").inner_text() == "3 items still missing"
    scan(station, cup.barcode)
    scan(station, lid.barcode)
    assert station.locator("#station").get_attribute("class") == "station accepted"
    scan(station, cup.barcode)

    assert station.locator("#station").get_attribute("class") == "station packed"
    assert f"Packed: {order.platform_order_id} is complete." in station.locator("#message").inner_text()
    assert station.evaluate("window.lastPackSound") == "packed"
    assert Parcel.objects.get(order=order).status == "packed"
    scans = PackScan.objects.filter(order=order)
    assert list(scans.values_list("result", flat=True)) == ["order", "ok", "ok", "ok", "packed"]
    assert {s.user.username for s in scans} == {station.user.username}


def test_a_wrong_sku_is_refused_loudly(station, goods):
    cup, lid, brush = goods
    order = allocated_order(make_shop(), (cup, 1), (lid, 1))

    scan(station, order.platform_order_id)
    scan(station, brush.barcode)

    assert station.locator("#station").get_attribute("class") == "station refused"
    assert "Wrong item" in station.locator("#message").inner_text()
    background = station.evaluate("getComputedStyle(document.getElementById('station')).backgroundColor")
    assert background == "rgb(253, 232, 232)"  # red
    assert station.evaluate("window.lastPackSound") == "wrong_sku"
    # The order stays open and nothing counted: both units still missing.
    assert station.locator("#missing-summary").inner_text() == "2 items still missing"
    scan(station, cup.barcode)
    scan(station, cup.barcode)  # an extra unit is refused too
    assert "Extra unit" in station.locator("#message").inner_text()
    assert Parcel.objects.get(order=order).status != "packed"
    assert PackScan.objects.filter(order=order, result="wrong_sku", sku=brush).count() == 1


def test_a_missing_gift_blocks_packing(station, goods):
    cup, _, brush = goods
    rule = GiftRule.objects.create(name="杯刷赠品", gift_sku=brush, gift_quantity=1, label_note="赠品:杯刷×1")
    rule.trigger_skus.add(cup)
    order = allocated_order(make_shop(), (cup, 1))

    scan(station, order.platform_order_id)
    assert "Gift in this parcel" in station.locator("#gift-reminder").inner_text()
    scan(station, cup.barcode)

    assert station.locator("#packed").count() == 0
    assert station.locator("#missing-summary").inner_text() == "1 item still missing"
    assert station.locator(f"tr.gift[data-sku='{brush.code}'] td.missing").inner_text() == "1"
    assert Parcel.objects.get(order=order).status != "packed"
    scan(station, brush.barcode)
    assert station.locator("#station").get_attribute("class") == "station packed"


def test_an_order_on_hold_is_refused_with_the_reason(station, goods):
    from orderhub.events import Actor
    from orderhub.services.holds import hold_place

    cup, _, _ = goods
    order = allocated_order(make_shop(), (cup, 1))
    hold_place(
        order=order, kind="refund", reason="refund intercept: buyer cancelled", actor=Actor.system("t")
    )

    scan(station, order.platform_order_id)

    assert station.locator("#station").get_attribute("class") == "station refused"
    assert "refund intercept: buyer cancelled" in station.locator("#message").inner_text()
    assert station.locator("#order").count() == 0
