"""Console page: offline orders from an .xlsx/.csv sheet, one row per order line.

Upload → preview (every order with its lines, every row error) → confirm. Nothing is imported while
any row has an error. Confirmed orders take the ingestion API's path (stored raw with source=import,
then upserted), so importing the same sheet twice changes nothing.

Between preview and confirmation the parsed orders wait in the session, encrypted (they carry
receivers' names, phones and addresses, and sessions live in the database) and size-limited. So the
confirmation imports exactly what was previewed, without asking for the file again.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import openpyxl
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from channels_sync.models import InboundSource
from channels_sync.platforms.base import PayloadError
from channels_sync.services.generic import normalized_from_json
from channels_sync.services.ingest import MAX_ORDERS, ingest_shop, orders_ingest
from orderhub import personal_data
from orderhub.exceptions import InvalidInput
from orderhub.models import Order, Shop
from orderhub.normalized import DISPLAY_ZONE, ORDER_STATUSES
from orderhub.selectors import sku_resolution_for_shop
from orderhub.status import OrderStatus

PERMISSION = "channels_sync.add_inboundevent"
# The documented sheet, one row per order line: line columns amid the order-level ones.
ORDER_HEAD = ("shop", "platform_order_id", "status", "created_at", "paid_at", "buyer_id")
RECEIVER_COLUMNS = ("receiver_name", "receiver_phone", "province", "city", "district", "address")
LINE_COLUMNS = ("sku", "title", "quantity", "unit_price", "line_paid_amount")
ORDER_TAIL = ("shipping_fee", "discount", "buyer_remark")
COLUMNS = (*ORDER_HEAD, *RECEIVER_COLUMNS, *LINE_COLUMNS, *ORDER_TAIL)
ORDER_COLUMNS = (*ORDER_HEAD, *RECEIVER_COLUMNS, *ORDER_TAIL)
RECEIVER_KEYS = ("name", "phone", "province", "city", "district", "detail")
# Order-level values may be given on an order's first row only; the order's key and line on every row.
ROW_REQUIRED = frozenset({"shop", "platform_order_id", "sku", "quantity", "unit_price"})
REQUIRED = ROW_REQUIRED | {"status"}
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_KEPT_CHARS = 1_000_000  # the encrypted preview kept in the session
SESSION_KEY = "channels_sync.order_import"
CENT = Decimal("0.01")


class SheetError(Exception):
    """The file as a whole cannot be read; no row-by-row report is possible."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class SheetOrder:
    shop: Shop
    first_row: int
    values: dict
    lines: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        """The order in the normalized schema; order totals follow from the lines."""
        v = self.values
        goods = sum((line["unit_price"] * line["quantity"] for line in self.lines), Decimal("0.00"))
        shipping, discount = v["shipping_fee"] or Decimal("0.00"), v["discount"] or Decimal("0.00")
        return {
            "platform_order_id": v["platform_order_id"],
            "status": v["status"],
            "currency": "CNY",
            "goods_amount": str(goods),
            "shipping_fee": str(shipping),
            "discount": str(discount),
            "paid_amount": str(goods + shipping - discount),
            "created_at": v["created_at"] and v["created_at"].isoformat(),
            "paid_at": v["paid_at"] and v["paid_at"].isoformat(),
            "buyer_id": v["buyer_id"] or "",
            "buyer_remark": v["buyer_remark"] or "",
            "receiver": {key: v[col] or "" for key, col in zip(RECEIVER_KEYS, RECEIVER_COLUMNS, strict=True)},
            "lines": [
                {
                    "outer_sku_code": line["sku"],
                    "title": line["title"] or "",
                    "quantity": line["quantity"],
                    "unit_price": str(line["unit_price"]),
                    "paid_amount": str(line["line_paid_amount"] or line["unit_price"] * line["quantity"]),
                }
                for line in self.lines
            ],
        }


@dataclass
class ParsedSheet:
    orders: list[SheetOrder]
    errors: list[RowError]


# ---- reading cells ------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number cell: order ids and phones typed as numbers
    return str(value).strip()


def _money(value) -> Decimal:
    if isinstance(value, float) and abs(value - round(value, 2)) < 1e-6:
        value = round(value, 2)  # a computed cell: 0.1 + 0.2 is 0.30000000000000004
    try:
        amount = Decimal(_text(value).replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("not an amount")) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise ValueError(_("amounts are non-negative with at most 2 decimals"))
    return amount.quantize(CENT)


def _quantity(value) -> int:
    text = _text(value)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(_("a whole number of at least 1"))
    return int(text)


def _time(value) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        try:
            moment = datetime.fromisoformat(_text(value).replace("/", "-"))
        except ValueError:
            raise ValueError(_("not a date and time, e.g. 2026-11-11 14:30")) from None
    # Sellers write local (Beijing) time; an explicit offset is kept.
    return moment if moment.tzinfo else moment.replace(tzinfo=DISPLAY_ZONE)


def _status(value) -> str:
    status = _text(value).lower()
    if status not in ORDER_STATUSES:
        raise ValueError(_("must be one of %(choices)s") % {"choices": ", ".join(ORDER_STATUSES)})
    return status


CLEANERS = {"status": _status, "quantity": _quantity, "created_at": _time, "paid_at": _time} | dict.fromkeys(
    ("unit_price", "line_paid_amount", "shipping_fee", "discount"), _money
)


# ---- reading the file ---------------------------------------------------------------------------


def _xlsx_rows(content: bytes) -> list[list]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
    except Exception as exc:  # openpyxl fails on broken files in many ways; all mean the same here
        raise SheetError(_("This is not a readable .xlsx file.")) from exc
    return rows


def _csv_rows(content: bytes) -> list[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel on Chinese Windows saves CSV in GB18030
        text = content.decode("gb18030", errors="replace")
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise SheetError(_("The CSV file cannot be read: %(reason)s") % {"reason": exc}) from exc


def read_sheet(upload) -> list[list]:
    if upload.size > MAX_UPLOAD_BYTES:
        raise SheetError(_("The file is larger than %(mb)d MB; split it.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(upload.read())
    elif name.endswith(".csv"):
        rows = _csv_rows(upload.read())
    else:
        raise SheetError(_("Upload an .xlsx or .csv file."))
    if not rows:
        raise SheetError(_("The sheet is empty."))
    if sum(1 for row in rows[1:] if any(_text(cell) for cell in row)) > MAX_ROWS:
        raise SheetError(_("More than %(max)d rows; split the sheet.") % {"max": MAX_ROWS})
    return rows


# ---- from rows to orders ------------------------------------------------------------------------


def _header(row: list) -> tuple[dict[int, str], list[RowError]]:
    columns, errors = {}, []
    for index, cell in enumerate(row):
        name = _text(cell).lower()
        if not name:
            continue
        if name not in COLUMNS:
            errors.append(RowError(1, name, _("unknown column")))
        elif name in columns.values():
            errors.append(RowError(1, name, _("column appears twice")))
        else:
            columns[index] = name
    errors += [
        RowError(1, name, _("column missing")) for name in COLUMNS if name in REQUIRED - {*columns.values()}
    ]
    return columns, errors


def _clean(number: int, cells: dict, errors: list[RowError]) -> dict | None:
    row, ok = {}, True
    for column in COLUMNS:
        value = cells.get(column)
        if _text(value) == "":
            row[column] = None
            if column in ROW_REQUIRED:
                errors.append(RowError(number, column, _("required")))
                ok = False
            continue
        try:
            row[column] = CLEANERS.get(column, _text)(value)
        except ValueError as exc:
            errors.append(RowError(number, column, str(exc)))
            ok = False
    return row if ok else None


def parse_sheet(rows: list[list], *, user) -> ParsedSheet:
    columns, errors = _header(rows[0])
    if errors:
        return ParsedSheet([], errors)
    orders: dict[tuple[str, str], SheetOrder] = {}
    shops: dict[str, Shop | str] = {}
    for number, raw in enumerate(rows[1:], start=2):
        cells = {name: raw[index] for index, name in columns.items() if index < len(raw)}
        if not any(_text(value) for value in cells.values()):
            continue
        row = _clean(number, cells, errors)
        if row is None:
            continue
        if row["shop"] not in shops:
            shops[row["shop"]] = _shop_or_error(row["shop"], user)
        shop = shops[row["shop"]]
        if isinstance(shop, str):
            errors.append(RowError(number, "shop", shop))
            continue
        line = {column: row[column] for column in LINE_COLUMNS}
        order = orders.get((shop.code, row["platform_order_id"]))
        if order is None:
            values = {column: row[column] for column in ORDER_COLUMNS}
            missing = [c for c in ORDER_COLUMNS if c in REQUIRED and values[c] is None]
            errors += [RowError(number, column, _("required")) for column in missing]
            orders[(shop.code, row["platform_order_id"])] = SheetOrder(shop, number, values, [line])
            continue
        differing = [c for c in ORDER_COLUMNS if row[c] is not None and row[c] != order.values[c]]
        errors += [
            RowError(number, c, _("differs from row %(row)d of the same order") % {"row": order.first_row})
            for c in differing
        ]
        order.lines.append(line)
    for order in orders.values():
        errors += _order_errors(order)
    return ParsedSheet(list(orders.values()), sorted(errors, key=lambda error: error.row))


def _shop_or_error(code: str, user) -> Shop | str:
    try:
        return ingest_shop(code=code, user=user)
    except InvalidInput as exc:
        return exc.message


def _order_errors(order: SheetOrder) -> list[RowError]:
    if order.values["status"] is None:
        return []  # already reported as required
    data = order.to_json()
    if Decimal(data["paid_amount"]) < 0:
        return [RowError(order.first_row, "discount", _("the discount exceeds goods and shipping together"))]
    try:
        normalized_from_json(data, platform=order.shop.platform)
    except PayloadError as exc:
        return [RowError(order.first_row, "platform_order_id", str(exc))]
    return []


# ---- the page -----------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Sheet (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "One row per order line; rows with the same shop and order id form one order."
        ),
    )


def _preview_orders(orders: list[SheetOrder], user) -> list[dict]:
    """What staff see before confirming: receivers masked unless they may see them, unmapped SKUs marked."""
    clear = personal_data.can_view(user)
    mapped: dict[int, set[str]] = {}
    for shop in {order.shop for order in orders}:
        codes = {line["sku"] for order in orders if order.shop == shop for line in order.lines}
        by_code = sku_resolution_for_shop(shop_id=shop.pk, platform_sku_ids=set(), outer_codes=codes)[1]
        mapped[shop.pk] = set(by_code)
    rows = []
    for order in orders:
        data = order.to_json()
        who = data["receiver"]
        name, phone, detail = who["name"], who["phone"], who["detail"]
        if not clear:
            name, phone = personal_data.mask_name(name), personal_data.mask_phone(phone)
            detail = personal_data.mask_address(detail)
        rows.append(
            {
                "shop": order.shop.code,
                "row": order.first_row,
                "data": data,
                "status": OrderStatus(data["status"]).label,
                "created_at": order.values["created_at"],
                "receiver": f"{name} {phone}".strip(),
                "address": f"{who['province']}{who['city']}{who['district']} {detail}".strip(),
                "lines": [
                    line | {"mapped": line["outer_sku_code"] in mapped[order.shop.pk]}
                    for line in data["lines"]
                ],
            }
        )
    return rows


def _keep(request, orders: list[SheetOrder]) -> str:
    by_shop: dict[str, list[dict]] = {}
    for order in orders:
        by_shop.setdefault(order.shop.code, []).append(order.to_json())
    sealed = personal_data.encrypt(json.dumps(by_shop, ensure_ascii=False))
    if len(sealed) > MAX_KEPT_CHARS:
        raise SheetError(_("The sheet is too large to preview in one go; split it."))
    token = secrets.token_urlsafe(16)
    request.session[SESSION_KEY] = {"token": token, "orders": sealed}
    return token


def _page(request, template: str, context: dict):
    return render(
        request,
        template,
        {**admin.site.each_context(request), "title": _("Import orders"), "opts": Order._meta, **context},
    )


def _confirm(request):
    kept = request.session.get(SESSION_KEY)
    if not kept or not secrets.compare_digest(request.POST.get("token", ""), kept["token"]):
        messages.error(request, _("This preview has expired or was replaced; upload the file again."))
        return redirect("order-import")
    by_shop = json.loads(personal_data.decrypt(kept["orders"]))
    try:  # a shop may have been deactivated since the preview: then import nothing
        shops = {code: ingest_shop(code=code, user=request.user) for code in by_shop}
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("order-import")
    del request.session[SESSION_KEY]  # a second click on "Import" must find nothing to import
    results = []
    for code, orders in by_shop.items():
        for start in range(0, len(orders), MAX_ORDERS):
            chunk = orders[start : start + MAX_ORDERS]
            results += orders_ingest(shop=shops[code], orders=chunk, source=InboundSource.IMPORT)
    return _page(
        request,
        "channels_sync/order_import_done.html",
        {
            "counts": Counter(result.result for result in results),
            "failed": [result for result in results if result.result == "failed"],
        },
    )


@require_http_methods(["GET", "POST"])
def _order_import(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": COLUMNS, "required": sorted(REQUIRED, key=COLUMNS.index)}
    if form.is_valid():
        request.session.pop(SESSION_KEY, None)  # a new upload replaces the previous preview
        try:
            parsed = parse_sheet(read_sheet(form.cleaned_data["file"]), user=request.user)
            token = "" if parsed.errors else _keep(request, parsed.orders)
        except SheetError as exc:
            form.add_error("file", str(exc))
        else:
            context |= {
                "errors": parsed.errors,
                "orders": _preview_orders(parsed.orders, request.user),
                "token": token,
                "previewed": True,
            }
    return _page(request, "channels_sync/order_import.html", context)


# admin_view: staff only, login redirect, CSRF, never cached.
order_import_view = admin.site.admin_view(_order_import)
