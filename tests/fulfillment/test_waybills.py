# ruff: noqa: F811 - pytest fixtures imported from warehouse_fixtures
"""E-waybills over the sandbox: Cainiao (cainiao.waybill.ii.get through TOP) and PDD (pdd.waybill.get),
the address snapshot, void with reason (and the number given back), reprint, and the refusals."""

import json

import pytest
from django.db import IntegrityError

from fulfillment.exceptions import WarehouseRefused
from fulfillment.models_warehouse import Waybill, WaybillStatus
from fulfillment.pdf.label import labels_pdf
from fulfillment.selectors_warehouse import label_data
from fulfillment.services.waybills import (
    order_waybills_void,
    waybill_cancel_at_carrier,
    waybill_issue,
    waybill_printed,
    waybill_void,
)
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.models import Hold
from orderhub.services.holds import hold_place
from tests.fulfillment.warehouse_fixtures import (  # noqa: F401
    allocated_order,
    code128_bars,
    drawn_rectangles,
    fast_retries,
    http,
    make_site,
    sandbox,
    sandbox_shop,
    skus,
    stock_up,
)

pytestmark = pytest.mark.django_db
CS = Actor.system("refund intercept")


@pytest.fixture
def site():
    return make_site()


def test_cainiao_waybill_issued_with_the_address_snapshot(sandbox, site, http):
    cup, lid = skus(2)
    stock_up(site, cup, lid)
    order = allocated_order(sandbox_shop(sandbox, "taobao"), (cup, 2), (lid, 1))

    waybill = waybill_issue(order_id=order.pk, actor=CS, http=http)

    assert waybill.status == WaybillStatus.ACTIVE and waybill.provider == "cainiao"
    assert waybill.number.startswith("YT")
    assert (waybill.receiver_province, waybill.receiver_city, waybill.receiver_district) == (
        "浙江省",
        "杭州市",
        "西湖区",
    )
    assert waybill.receiver_detail == order.receiver_detail and waybill.receiver_name == "张三"
    _, _, sent = next(call for call in sandbox.state.received if call[1] == "cainiao.waybill.ii.get")
    dto = sent["trade_order_info_dtos"][0]
    assert sent["cp_code"] == "YTO" and sent["sender"]["address"]["city"] == "苏州市"
    assert dto["order_info"] == {"order_channels_type": "TB", "trade_order_list": [order.platform_order_id]}
    assert dto["recipient"]["address"]["detail"] == "文三路 90 号 502 室"
    assert sorted(item["count"] for item in dto["package_info"]["items"]) == [1, 2]
    assert "waybillCode" in waybill.print_data
    # Asking again gives the same active waybill; the database refuses a second active one.
    assert waybill_issue(order_id=order.pk, actor=CS, http=http).pk == waybill.pk
    with pytest.raises(IntegrityError):
        Waybill.objects.create(order=order, carrier=waybill.carrier, provider="cainiao", number="X1")


def test_pdd_orders_take_pdd_waybills(sandbox, site, http):
    (cup,) = skus(1)
    stock_up(site, cup)
    order = allocated_order(sandbox_shop(sandbox, "pdd"), (cup, 1))

    waybill = waybill_issue(order_id=order.pk, actor=CS, http=http)

    assert waybill.provider == "pdd"
    _, _, sent = next(call for call in sandbox.state.received if call[1] == "pdd.waybill.get")
    assert sent["wp_code"] == "YTO"
    assert sent["trade_order_info_dtos"][0]["order_info"]["trade_order_list"] == [order.platform_order_id]


def test_void_needs_a_reason_and_gives_the_number_back(sandbox, site, http):
    (cup,) = skus(1)
    stock_up(site, cup)
    order = allocated_order(sandbox_shop(sandbox, "taobao"), (cup, 1))
    waybill = waybill_issue(order_id=order.pk, actor=CS, http=http)

    with pytest.raises(InvalidInput):
        waybill_void(waybill=waybill, reason="  ", actor=CS)
    voided = order_waybills_void(order=order, reason="refund intercept", actor=CS)

    assert [w.pk for w in voided] == [waybill.pk]
    waybill.refresh_from_db()
    assert (waybill.status, waybill.void_reason) == (WaybillStatus.VOIDED, "refund intercept")
    assert order.events.filter(type="waybill_voided", parameters__reason="refund intercept").exists()
    assert waybill_cancel_at_carrier(waybill_id=waybill.pk, http=http) is True
    assert ("taobao", "cainiao.waybill.ii.cancel", {"cp_code": "YTO", "waybill_code": waybill.number}) in (
        sandbox.state.received
    )
    # Voiding again changes nothing; a voided label is not printed.
    assert waybill_void(waybill=waybill, reason="again", actor=CS).void_reason == "refund intercept"
    with pytest.raises(WarehouseRefused):
        waybill_printed(waybill=waybill, actor=CS)
    # A new waybill can be issued for the order afterwards.
    assert waybill_issue(order_id=order.pk, actor=CS, http=http).pk != waybill.pk


def test_held_orders_get_no_waybill(sandbox, site, http):
    (cup,) = skus(1)
    stock_up(site, cup)
    order = allocated_order(sandbox_shop(sandbox, "taobao"), (cup, 1))
    hold_place(order=order, kind="refund", reason="buyer asked for a refund", actor=CS)

    with pytest.raises(WarehouseRefused, match="buyer asked for a refund"):
        waybill_issue(order_id=order.pk, actor=CS, http=http)
    assert not Waybill.objects.filter(order=order).exists()
    assert Hold.objects.filter(order=order).count() == 1


def test_label_pdf_has_the_waybill_number_receiver_and_gift_note(sandbox, site, http):
    from io import BytesIO

    from pypdf import PdfReader

    (cup,) = skus(1)
    stock_up(site, cup)
    order = allocated_order(sandbox_shop(sandbox, "taobao"), (cup, 1))
    waybill = waybill_issue(order_id=order.pk, actor=CS, http=http)
    Waybill.objects.filter(pk=waybill.pk).update(gift_note="赠品:杯刷×1")
    waybill = waybill_printed(waybill=waybill, actor=CS)

    pdf = labels_pdf([label_data(waybill)])

    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width_mm = float(page.mediabox.width) / 72 * 25.4
    height_mm = float(page.mediabox.height) / 72 * 25.4
    assert (round(width_mm), round(height_mm)) == (100, 150)
    text = page.extract_text()
    assert waybill.number in text and order.platform_order_id in text
    assert "REPRINT 1" in text
    assert b"/Subtype /Image" not in pdf  # the barcode is vector bars, not a picture
    # The waybill barcode: at least as many filled rectangles as Code128 has bars for the number.
    assert drawn_rectangles(page) >= code128_bars(waybill.number) > 20
    assert json.dumps(label_data(waybill)["gift_note"], ensure_ascii=False) == '"赠品:杯刷×1"'
