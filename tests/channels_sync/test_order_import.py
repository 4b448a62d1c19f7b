"""The console's order import: sheet → preview with row errors → confirm → the ingestion path."""

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_sync.models import InboundEvent, InboundSource
from orderhub.models import Hold, Order
from tests.factories import make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db
URL = "/admin-tools/orders/import/"
HEADER = [
    "shop",
    "platform_order_id",
    "status",
    "created_at",
    "paid_at",
    "buyer_id",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "sku",
    "title",
    "quantity",
    "unit_price",
    "line_paid_amount",
    "shipping_fee",
    "discount",
    "buyer_remark",
]


def row(order_id="S-1", sku="TEA-001", quantity=2, price="99.00", **fields):
    values = {
        "shop": "store",
        "platform_order_id": order_id,
        "status": "paid",
        "created_at": "2026-11-11 10:00",
        "paid_at": "2026-11-11 10:01",
        "buyer_id": "walk-in",
        "receiver_name": "王小明",
        "receiver_phone": "13800138000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": "文三路 90 号 502 室",
        "sku": sku,
        "title": "龙井",
        "quantity": quantity,
        "unit_price": price,
        "line_paid_amount": "",
        "shipping_fee": "10.00",
        "discount": "5.00",
        "buyer_remark": "",
    }
    return [(values | fields)[column] for column in HEADER]


def xlsx(rows, header=HEADER):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("orders.xlsx", buffer.getvalue())


def csv_file(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile("orders.csv", buffer.getvalue().encode(encoding))


@pytest.fixture
def store():
    make_sku("TEA-001")
    make_sku("CUP-002")
    return make_shop("manual", code="store")


@pytest.fixture
def staff(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(
        make_user("clerk", permissions=["channels_sync.add_inboundevent", "orderhub.view_order"])
    )
    return client


def preview(client, upload):
    response = client.post(URL, {"file": upload})
    assert response.status_code == 200
    return response


def confirm(client, response):
    return client.post(URL, {"token": response.context["token"]})


def test_an_xlsx_sheet_is_previewed_masked_then_imported_through_the_inbound_path(staff, store):
    sheet = [
        row("S-1", created_at=datetime(2026, 11, 11, 10, 0), receiver_phone=13800138000, quantity=2),
        row("S-1", sku="CUP-002", title="杯", quantity=1, price=25.5),
        row("S-2", sku="UNKNOWN-9", quantity=1, price="30"),
    ]

    page = preview(staff, xlsx(sheet))

    html = page.content.decode()
    assert page.context["errors"] == [] and len(page.context["orders"]) == 2
    assert "138****8000" in html and "13800138000" not in html and "王小明" not in html  # masked
    assert "not mapped: the order will be held" in html
    assert not Order.objects.exists() and not InboundEvent.objects.exists()  # nothing before confirming

    done = confirm(staff, page)

    assert done.status_code == 200
    assert done.context["counts"]["created"] == 2
    first = Order.objects.get(platform_order_id="S-1")
    assert [str(first.goods_amount), str(first.paid_amount)] == ["223.50", "228.50"]  # 2×99 + 25.5 (+10 −5)
    assert first.receiver_phone == "13800138000"
    assert first.platform_created_at.isoformat() == "2026-11-11T02:00:00+00:00"  # Beijing time
    assert sorted(first.lines.values_list("outer_sku_code", "quantity")) == [("CUP-002", 1), ("TEA-001", 2)]
    assert Hold.objects.filter(order__platform_order_id="S-2", kind="unmapped_sku").exists()
    assert set(InboundEvent.objects.values_list("source", flat=True)) == {InboundSource.IMPORT}


def test_a_csv_sheet_imports_and_importing_it_again_changes_nothing(staff, store):
    sheet = [row("S-1"), row("S-2", quantity=3)]

    confirm(staff, preview(staff, csv_file(sheet, encoding="gb18030")))
    again = confirm(staff, preview(staff, csv_file(sheet)))

    assert again.context["counts"] == {"unchanged": 2}
    assert Order.objects.count() == 2
    assert Order.objects.get(platform_order_id="S-2").lines.get().quantity == 3


def test_a_sheet_with_a_bad_row_imports_nothing_and_names_the_row(staff, store):
    sheet = [row("S-1"), row("S-2", quantity="two"), row("S-3", status="lost", unit_price="-1")]

    page = preview(staff, xlsx(sheet))

    errors = {(error.row, error.column) for error in page.context["errors"]}
    assert errors == {(3, "quantity"), (4, "status"), (4, "unit_price")}
    html = page.content.decode()
    assert "nothing will be imported" in html and 'name="token"' not in html
    # Confirming anyway (a stale token, or none) finds nothing to import.
    staff.post(URL, {"token": "forged"})
    assert not InboundEvent.objects.exists() and not Order.objects.exists()


def test_order_level_values_that_differ_across_an_orders_rows_are_flagged(staff, store):
    sheet = [
        row("S-1"),
        row("S-1", sku="CUP-002", receiver_phone="13900000000", shipping_fee="0"),
        row("S-1", sku="CUP-002", receiver_phone="", status="", address=""),  # blanks repeat the first row
    ]

    page = preview(staff, csv_file(sheet))

    assert [(e.row, e.column) for e in page.context["errors"]] == [(3, "receiver_phone"), (3, "shipping_fee")]
    assert "differs from row 2" in page.context["errors"][0].message
    assert "13900000000" not in page.content.decode()  # the message does not repeat personal data


def test_header_and_shop_problems_are_reported(staff, store):
    make_shop("taobao", code="tmall")
    typo = ["qty" if column == "sku" else column for column in HEADER]

    header_page = preview(staff, xlsx([row()], header=typo))
    shop_page = preview(staff, csv_file([row(shop="tmall"), row("S-2", shop="nowhere")]))
    not_a_sheet = staff.post(URL, {"file": SimpleUploadedFile("orders.xlsx", b"not a zip")})

    assert {(e.row, e.column) for e in header_page.context["errors"]} == {(1, "qty"), (1, "sku")}
    assert [(e.row, e.column) for e in shop_page.context["errors"]] == [(2, "shop"), (3, "shop")]
    assert "push and pull" in shop_page.context["errors"][0].message
    assert "not a readable .xlsx file" in not_a_sheet.content.decode()


def test_the_import_needs_the_permission_and_the_changelist_links_to_it(client, store):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get(URL).status_code == 302  # to the login page

    client.force_login(make_user("viewer", permissions=["orderhub.view_order"]))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": csv_file([row()])}).status_code == 403
    assert URL not in client.get("/admin/orderhub/order/").content.decode()

    client.force_login(
        make_user("clerk", permissions=["channels_sync.add_inboundevent", "orderhub.view_order"])
    )
    assert URL in client.get("/admin/orderhub/order/").content.decode()
    assert not Order.objects.exists()
