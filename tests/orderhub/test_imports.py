import io

import pytest
import tablib
from openpyxl import Workbook

from orderhub.imports import SkuMappingItemResource, SkuResource
from orderhub.models import Sku, SkuMapping
from orderhub.roles import ADMINISTRATOR
from tests.factories import make_order, make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db


def sheet(headers, *rows):
    return tablib.Dataset(*rows, headers=headers)


SKU_HEADERS = ["code", "name", "barcode", "weight_g", "price", "active"]


def test_sku_sheet_with_a_bad_row_reports_row_errors_and_imports_nothing():
    data = sheet(
        SKU_HEADERS,
        ["DOG-1", "狗粮 2kg", "6901234567892", 2100, "119.00", True],
        ["DOG-2", "狗粮 10kg", "6901234567908", 10300, "not-a-price", True],
        ["DOG-3", "狗零食", "6901234567915", 230, "-5", True],
    )

    result = SkuResource().import_data(data, dry_run=False, raise_errors=False)

    assert result.has_validation_errors() or result.has_errors()
    failing_rows = {row.number for row in result.invalid_rows} | {number for number, _ in result.row_errors()}
    assert failing_rows == {2, 3}
    assert Sku.objects.count() == 0


def test_good_sku_sheet_imports_and_reimport_updates_by_code():
    SkuResource().import_data(
        sheet(SKU_HEADERS, ["CAT-1", "猫粮", "6901234567892", 1500, "89.00", True]), dry_run=False
    )
    result = SkuResource().import_data(
        sheet(SKU_HEADERS, ["CAT-1", "猫粮 新包装", "6901234567892", 1500, "79.00", True]), dry_run=False
    )

    assert not result.has_errors() and not result.has_validation_errors()
    sku = Sku.objects.get()
    assert (sku.name, str(sku.price)) == ("猫粮 新包装", "79.00")


MAPPING_HEADERS = ["shop", "platform_sku_id", "outer_sku_code", "title", "sku", "quantity"]


def test_mapping_sheet_builds_bundles_and_releases_waiting_orders():
    shop = make_shop(code="tmall")
    make_sku(code="FOOD"), make_sku(code="BOWL")
    order = make_order(shop, "T1")  # its line SKU-A is unmapped
    data = sheet(
        MAPPING_HEADERS, ["tmall", "", "SKU-A", "礼盒", "FOOD", 2], ["tmall", "", "SKU-A", "礼盒", "BOWL", 1]
    )

    result = SkuMappingItemResource().import_data(data, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    mapping = SkuMapping.objects.get()
    assert sorted((i.sku.code, i.quantity) for i in mapping.items.all()) == [("BOWL", 1), ("FOOD", 2)]
    assert not order.holds.filter(status="open").exists()


def test_mapping_sheet_with_unknown_shop_or_sku_imports_nothing():
    make_shop(code="tmall")
    make_sku(code="FOOD")
    data = sheet(
        MAPPING_HEADERS,
        ["tmall", "", "OK-1", "", "FOOD", 1],
        ["nowhere", "", "X", "", "FOOD", 1],
        ["tmall", "", "Y", "", "MISSING", 1],
    )

    result = SkuMappingItemResource().import_data(data, dry_run=False, raise_errors=False)

    assert result.has_errors() or result.has_validation_errors()
    assert SkuMapping.objects.count() == 0


def xlsx(headers, *rows) -> bytes:
    book = Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_admin_import_preview_shows_row_errors_for_an_xlsx_and_saves_nothing(client):
    client.force_login(make_user("boss", groups=[ADMINISTRATOR]))
    upload = io.BytesIO(
        xlsx(
            SKU_HEADERS,
            ["A-1", "好的", "6901234567892", 10, "1.00", True],
            ["A-2", "坏的", "6901234567908", 10, "abc", True],
        )
    )
    upload.name = "skus.xlsx"

    response = client.post(
        "/admin/orderhub/sku/import/", {"import_file": upload, "format": "1", "resource": "0"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "A-2" in html and ("Errors" in html or "错误" in html or "error" in html.lower())
    assert Sku.objects.count() == 0


def test_admin_export_of_mappings_has_one_row_per_component(client):
    client.force_login(make_user("boss", groups=[ADMINISTRATOR]))
    shop = make_shop(code="tmall")
    make_sku(code="FOOD")
    SkuMappingItemResource().import_data(
        sheet(MAPPING_HEADERS, ["tmall", "", "Q", "", "FOOD", 3]), dry_run=False
    )

    exported = SkuMappingItemResource().export(queryset=None)

    assert exported.headers == MAPPING_HEADERS
    assert exported[0] == (shop.code, "", "Q", "", "FOOD", "3")
