"""Reconciliation: merged orders, a partial refund and a gift add up to the cent; exports; the command."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from fulfillment.models_decisions import MergeGroup, OrderFulfillment
from orderhub.events import Actor
from orderhub.models import Order
from orderhub.normalized_refund import NormalizedRefund
from refunds.reconciliation import Period, csv_lines, reconciliation_rows, write_xlsx
from refunds.services.apply import refund_apply
from tests.factories import line, make_order, make_shop, make_user

pytestmark = pytest.mark.django_db
OCT = Period.month("2026-10")


def paid(shop, order_id, *lines, day=10, hour=10):
    order = make_order(shop, order_id, lines=list(lines))
    at = datetime(2026, 10, day, hour, tzinfo=UTC)
    Order.objects.filter(pk=order.pk).update(platform_paid_at=at)
    return Order.objects.get(pk=order.pk)


def refund(shop, order, refund_id, amount, raw_status="SUCCESS"):
    incoming = NormalizedRefund(
        platform="taobao",
        platform_refund_id=refund_id,
        platform_order_id=order.platform_order_id,
        refund_type="refund_only",
        raw_status=raw_status,
        amount=Decimal(amount),
        platform_modified_at=datetime(2026, 10, 12, tzinfo=UTC),
        created_at=datetime(2026, 10, 12, tzinfo=UTC),
    )
    return refund_apply(shop=shop, incoming=incoming, actor=Actor.channel("test"))


@pytest.fixture
def month(django_capture_on_commit_callbacks):
    shop = make_shop("taobao", code="tmall")
    # Two orders merged into one parcel, one with a gift line (no money), one partly refunded
    a = paid(shop, "A1", line("SKU-A", 2, "33.33"), line("GIFT", 1, "0.00"), day=10)
    b = paid(shop, "B2", line("SKU-B", 1, "59.90"), day=10, hour=20)  # 04:00 on the 11th in Beijing
    c = paid(shop, "C3", line("SKU-C", 3, "19.99"), day=11)
    a.lines.filter(outer_sku_code="GIFT").update(is_gift=True)
    group = MergeGroup.objects.create()
    OrderFulfillment.objects.create(order=a, merge_group=group)
    OrderFulfillment.objects.create(order=b, merge_group=group)
    refund(shop, b, "RF-1", "20.01")  # partial, refunded
    refund(shop, c, "RF-2", "59.97", raw_status="WAIT_SELLER_AGREE")  # pending
    refund(shop, c, "RF-3", "70.00", raw_status="CLOSED")  # closed: no money
    outside = paid(shop, "NOV", line("SKU-A", 1, "10.00"), day=1)
    Order.objects.filter(pk=outside.pk).update(platform_paid_at=datetime(2026, 11, 1, 1, tzinfo=UTC))
    return shop, group


def test_merged_orders_a_partial_refund_and_a_gift_add_up_to_the_cent(month):
    shop, group = month
    rows = list(reconciliation_rows(shop, OCT))
    orders = {row["platform_order_id"]: row for row in rows if row["row_type"] == "order"}
    days = {row["day"]: row for row in rows if row["row_type"] == "day total"}
    total = next(row for row in rows if row["row_type"] == "shop total")

    assert set(orders) == {"A1", "B2", "C3"}  # the November order is not in October
    assert (orders["A1"]["paid"], orders["A1"]["gift_units"], orders["A1"]["merge_group"]) == (
        Decimal("66.66"),
        1,
        group.pk,
    )
    assert orders["B2"]["merge_group"] == group.pk
    assert (orders["B2"]["paid"], orders["B2"]["refunded"], orders["B2"]["net"]) == (
        Decimal("59.90"),
        Decimal("20.01"),
        Decimal("39.89"),
    )
    assert (orders["C3"]["refunded"], orders["C3"]["refund_pending"], orders["C3"]["refund_statuses"]) == (
        Decimal("0.00"),
        Decimal("59.97"),
        "closed:1;requested:1",
    )
    assert (total["paid"], total["refunded"], total["net"], total["orders"], total["gift_units"]) == (
        Decimal("186.53"),
        Decimal("20.01"),
        Decimal("166.52"),
        3,
        1,
    )
    # Days in Beijing time: B2 was paid at 20:00 UTC on the 10th, i.e. the 11th in Beijing
    assert {day: (row["orders"], row["paid"], row["net"]) for day, row in days.items()} == {
        "2026-10-10": (1, Decimal("66.66"), Decimal("66.66")),
        "2026-10-11": (2, Decimal("119.87"), Decimal("99.86")),
    }
    assert sum(row["net"] for row in days.values()) == total["net"]
    assert not any(row["flags"] for row in orders.values())


def test_disagreements_with_the_platform_are_flagged(month):
    shop, _ = month
    b = Order.objects.get(platform_order_id="B2")
    refund(shop, b, "RF-9", "50.00")  # 20.01 + 50.00 > 59.90 paid
    Order.objects.filter(platform_order_id="C3").update(status="cancelled")
    ghost = NormalizedRefund(
        platform="taobao",
        platform_refund_id="RF-GHOST",
        platform_order_id="NOT-OURS",
        refund_type="refund_only",
        raw_status="SUCCESS",
        amount=Decimal("9.99"),
        platform_modified_at=datetime(2026, 10, 20, tzinfo=UTC),
        created_at=datetime(2026, 10, 20, tzinfo=UTC),
    )
    refund_apply(shop=shop, incoming=ghost, actor=Actor.channel("test"))

    rows = {
        row["platform_order_id"]: row for row in reconciliation_rows(shop, OCT) if row["platform_order_id"]
    }

    assert "refund_exceeds_paid" in rows["B2"]["flags"]
    assert "cancelled_not_refunded" in rows["C3"]["flags"]
    assert (rows["NOT-OURS"]["row_type"], rows["NOT-OURS"]["net"], rows["NOT-OURS"]["flags"]) == (
        "refund",
        Decimal("-9.99"),
        "refund_for_unknown_order",
    )


def test_csv_and_xlsx_exports_carry_the_same_figures(month):
    shop, _ = month
    text = "".join(csv_lines(reconciliation_rows(shop, OCT)))
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    buffer = io.BytesIO()
    write_xlsx(reconciliation_rows(shop, OCT), buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).active
    values = list(sheet.values)

    assert table[-1]["row"] == "shop total" and Decimal(table[-1]["net"]) == Decimal("166.52")
    header, last = values[0], values[-1]
    assert Decimal(str(last[header.index("net")])) == Decimal("166.52")
    assert len(values) - 1 == len(table)


def test_export_command_writes_the_file_with_a_progress_bar(month, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "oct.csv"

    call_command("export_reconciliation", "--shop", "tmall", "--month", "2026-10", "--format", "csv",
                 "--output", str(target), stdout=out, stderr=err)  # fmt: skip

    assert "3 orders of tmall in 2026-10" in out.getvalue()
    assert "3/3" in err.getvalue()  # tqdm's bar
    assert "shop total" in target.read_text(encoding="utf-8")


def test_export_command_refuses_bad_input(month):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no shop"):
        call_command("export_reconciliation", "--shop", "nope", "--month", "2026-10")
    with pytest.raises(CommandError, match="2026-10"):
        call_command("export_reconciliation", "--shop", "tmall", "--month", "October")


def test_the_console_export_is_for_finance_only(client, month):
    from orderhub.roles import CUSTOMER_SERVICE, FINANCE

    shop, _ = month
    url = f"/refunds/reconciliation/?shop={shop.pk}&month=2026-10&format=csv"
    client.force_login(make_user("kefu1", groups=[CUSTOMER_SERVICE]))
    assert client.get(url).status_code == 403
    client.force_login(make_user("caiwu1", groups=[FINANCE]))
    response = client.get(url)
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and "B2" in body and "166.52" in body
    xlsx = client.get(url.replace("csv", "xlsx"))
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    assert client.get("/refunds/reconciliation/?shop=1&month=oct&format=csv").status_code == 200  # form again
