import io

import pytest
import tablib
from django.conf import settings as project_settings
from openpyxl import Workbook

from fulfillment import tasks
from fulfillment.exceptions import InsufficientStock, StockAdjustmentRefused
from fulfillment.imports import StockLevelResource
from fulfillment.models import Allocation, Stock, StockAdjustment
from fulfillment.selectors import available_stock
from fulfillment.services.stock import (
    AllocationRequest,
    StockLevelRow,
    allocations_release,
    stock_adjust,
    stock_allocate,
    stock_allocate_many,
    stock_set_levels,
)
from orderhub import dispatch
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput, InvalidTransition
from orderhub.models import OrderEvent
from orderhub.roles import CUSTOMER_SERVICE, FINANCE, WAREHOUSE
from orderhub.services.orders import order_cancel
from tests.factories import make_sku, make_user
from tests.fulfillment.conftest import make_paid_order, make_stock, make_warehouse, requests_for

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def stock_of(warehouse, sku) -> tuple[int, int]:
    stock = Stock.objects.get(warehouse=warehouse, sku=sku)
    return stock.on_hand, stock.allocated


# ---- allocation ---------------------------------------------------------------------------------


def test_allocation_reserves_every_line_and_records_what_it_took():
    # Given an order of 2 × A and 1 × B, with both in stock in Suzhou
    suzhou = make_warehouse("suzhou")
    a, b = make_sku(code="A"), make_sku(code="B")
    make_stock(suzhou, a, on_hand=5), make_stock(suzhou, b, on_hand=1)
    order = make_paid_order((a, 2), (b, 1))

    # When it is allocated
    allocations = stock_allocate(order_id=order.pk, requests=requests_for(order, suzhou), actor=SYSTEM)

    # Then both lines hold their units and the stock says so
    assert sorted((x.stock.sku.code, x.quantity, x.status) for x in allocations) == [
        ("A", 2, "active"),
        ("B", 1, "active"),
    ]
    assert stock_of(suzhou, a) == (5, 2) and stock_of(suzhou, b) == (1, 1)
    event = order.events.get(type="stock_allocated")
    assert sorted(
        (row["sku"], row["warehouse"], row["quantity"]) for row in event.parameters["allocations"]
    ) == [("A", "suzhou", 2), ("B", "suzhou", 1)]
    assert event.actor_label == "test"


def test_a_shortfall_on_any_line_allocates_nothing_and_names_every_shortfall():
    # Given A in stock, B short by one, and C never stocked in this warehouse
    hefei = make_warehouse("hefei")
    a, b, c = make_sku(code="A"), make_sku(code="B"), make_sku(code="C")
    make_stock(hefei, a, on_hand=10), make_stock(hefei, b, on_hand=3, allocated=2)
    order = make_paid_order((a, 1), (b, 2), (c, 1))

    # When it is allocated
    with pytest.raises(InsufficientStock) as raised:
        stock_allocate(order_id=order.pk, requests=requests_for(order, hefei), actor=SYSTEM)

    # Then nothing is reserved and every shortfall is named
    assert sorted(raised.value.shortfalls, key=lambda s: s["sku_id"]) == [
        {"sku_id": b.pk, "warehouse_id": hefei.pk, "wanted": 2, "available": 1},
        {"sku_id": c.pk, "warehouse_id": hefei.pk, "wanted": 1, "available": 0},
    ]
    assert raised.value.details == {"shortfalls": raised.value.shortfalls}
    assert stock_of(hefei, a) == (10, 0) and stock_of(hefei, b) == (3, 2)
    assert not Allocation.objects.exists()
    assert not order.events.filter(type="stock_allocated").exists()


def test_two_lines_of_one_sku_are_checked_together():
    # Given 3 units of A and an order whose two lines want 2 each from the same stock
    wh = make_warehouse()
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=3)
    order = make_paid_order((a, 2))
    line_id = order.lines.get().pk
    requests = [AllocationRequest(line_id, a.pk, wh.pk, 2), AllocationRequest(line_id, a.pk, wh.pk, 2)]

    # When allocated, then the 4 wanted units are compared with the 3 available at once
    with pytest.raises(InsufficientStock) as raised:
        stock_allocate(order_id=order.pk, requests=requests, actor=SYSTEM)
    assert raised.value.shortfalls[0]["wanted"] == 4
    assert stock_of(wh, a) == (3, 0)


def test_allocating_an_allocated_order_again_returns_what_it_holds():
    # Given an allocated order
    east, north = make_warehouse(), make_warehouse()
    a = make_sku(code="A")
    make_stock(east, a, on_hand=5), make_stock(north, a, on_hand=5)
    order = make_paid_order((a, 2))
    first = stock_allocate(order_id=order.pk, requests=requests_for(order, east), actor=SYSTEM)

    # When a retry asks again, even for another warehouse
    again = stock_allocate(order_id=order.pk, requests=requests_for(order, north), actor=SYSTEM)

    # Then it gets the same allocations and no unit is reserved twice
    assert [x.pk for x in again] == [x.pk for x in first]
    assert stock_of(east, a) == (5, 2) and stock_of(north, a) == (5, 0)
    assert order.events.filter(type="stock_allocated").count() == 1


def test_a_batch_allocates_each_order_all_or_nothing_in_pk_order():
    # Given 3 units of A and three orders wanting 2, 2 and 1, plus one order asking for a foreign line
    wh = make_warehouse()
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=3)
    first, second, third, odd = (make_paid_order((a, q)) for q in (2, 2, 1, 1))
    batch = {o.pk: requests_for(o, wh) for o in (third, second, first)}
    batch[odd.pk] = requests_for(first, wh)

    # When they are allocated as one batch
    outcomes = stock_allocate_many(orders=batch, actor=SYSTEM)

    # Then the first takes 2, the second is short (1 left) and gets nothing, the third takes the last
    assert [a.quantity for a in outcomes[first.pk]] == [2] and [a.quantity for a in outcomes[third.pk]] == [1]
    assert isinstance(outcomes[second.pk], InsufficientStock)
    assert outcomes[second.pk].shortfalls == [
        {"sku_id": a.pk, "warehouse_id": wh.pk, "wanted": 2, "available": 1}
    ]
    assert isinstance(outcomes[odd.pk], InvalidInput)
    assert stock_of(wh, a) == (3, 3)
    assert OrderEvent.objects.filter(type="stock_allocated").count() == 2


def test_bad_allocation_requests_are_refused_with_a_reason():
    wh = make_warehouse()
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=5)
    order, other = make_paid_order((a, 1)), make_paid_order((a, 1))
    line_id = order.lines.get().pk

    with pytest.raises(InvalidInput, match="Nothing to allocate"):
        stock_allocate(order_id=order.pk, requests=[], actor=SYSTEM)
    with pytest.raises(InvalidInput, match="at least 1"):
        stock_allocate(order_id=order.pk, requests=[AllocationRequest(line_id, a.pk, wh.pk, 0)], actor=SYSTEM)
    with pytest.raises(InvalidInput, match="not lines of order"):
        stock_allocate(order_id=order.pk, requests=requests_for(other, wh), actor=SYSTEM)
    order_cancel(order_id=other.pk, actor=SYSTEM, reason="buyer asked")
    with pytest.raises(InvalidTransition, match="cancelled"):
        stock_allocate(order_id=other.pk, requests=requests_for(other, wh), actor=SYSTEM)
    assert stock_of(wh, a) == (5, 0)


def test_available_stock_is_plain_data_of_active_warehouses():
    active, closed = make_warehouse(priority=1), make_warehouse(priority=2, active=False)
    a = make_sku(code="A")
    make_stock(active, a, on_hand=9, allocated=4, safety_threshold=2), make_stock(closed, a, on_hand=50)

    levels = available_stock([a.pk])

    assert list(levels) == [(active.pk, a.pk)]
    level = levels[(active.pk, a.pk)]
    assert (level.available, level.safety_threshold, level.warehouse_priority) == (5, 2, 1)


# ---- release ------------------------------------------------------------------------------------


def test_release_returns_the_units_and_records_why():
    wh = make_warehouse("suzhou")
    a, b = make_sku(code="A"), make_sku(code="B")
    make_stock(wh, a, on_hand=5), make_stock(wh, b, on_hand=5)
    order = make_paid_order((a, 2), (b, 3))
    stock_allocate(order_id=order.pk, requests=requests_for(order, wh), actor=SYSTEM)

    released = allocations_release(order_id=order.pk, actor=SYSTEM, reason="buyer cancelled")

    assert released == 2
    assert stock_of(wh, a) == (5, 0) and stock_of(wh, b) == (5, 0)
    assert set(Allocation.objects.values_list("status", flat=True)) == {"released"}
    assert all(x.released_at for x in Allocation.objects.all())
    event = order.events.get(type="stock_released")
    assert event.parameters["reason"] == "buyer cancelled"
    assert sorted((r["sku"], r["quantity"]) for r in event.parameters["allocations"]) == [("A", 2), ("B", 3)]
    # A second release finds nothing left to give back
    assert allocations_release(order_id=order.pk, actor=SYSTEM, reason="again") == 0
    assert order.events.filter(type="stock_released").count() == 1


def test_a_released_order_can_be_allocated_again():
    wh = make_warehouse()
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=2)
    order = make_paid_order((a, 2))
    stock_allocate(order_id=order.pk, requests=requests_for(order, wh), actor=SYSTEM)
    allocations_release(order_id=order.pk, actor=SYSTEM, reason="re-route")

    stock_allocate(order_id=order.pk, requests=requests_for(order, wh), actor=SYSTEM)

    assert stock_of(wh, a) == (2, 2)
    assert Allocation.objects.filter(status="active").count() == 1


def test_cancelling_an_order_releases_its_stock_through_the_subscribed_task(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    # Given the project wiring (not a test double) and an allocated order
    assert (
        "fulfillment.tasks.release_on_cancel" in project_settings.DOMAIN_EVENT_SUBSCRIBERS["order.cancelled"]
    )
    queued = []
    monkeypatch.setattr(dispatch, "async_task", lambda func, **kwargs: queued.append((func, kwargs)))
    wh = make_warehouse()
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=4)
    order = make_paid_order((a, 3))
    stock_allocate(order_id=order.pk, requests=requests_for(order, wh), actor=SYSTEM)

    # When the order is cancelled and the queued task runs after commit
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=SYSTEM, reason="buyer asked")
    (kwargs,) = [kwargs for path, kwargs in queued if path == "fulfillment.tasks.release_on_cancel"]
    kwargs.pop("task_name")
    tasks.release_on_cancel(**kwargs)

    # Then its stock is free again
    assert stock_of(wh, a) == (4, 0)
    assert order.events.get(type="stock_released").actor_label == "order cancelled"


# ---- adjustments --------------------------------------------------------------------------------


def test_adjustment_changes_on_hand_and_keeps_a_history_with_reason_and_user():
    wh = make_warehouse()
    a = make_sku(code="A")
    stock = make_stock(wh, a, on_hand=10, allocated=3)
    clerk = make_user("clerk")

    stock_adjust(stock_id=stock.pk, delta=5, reason="received PO-7", user=clerk)
    stock_adjust(stock_id=stock.pk, delta=-2, reason="damaged", user=clerk, source="count")

    assert stock_of(wh, a) == (13, 3)
    history = list(
        StockAdjustment.objects.order_by("pk").values_list("delta", "on_hand_after", "reason", "source")
    )
    assert history == [(5, 15, "received PO-7", "manual"), (-2, 13, "damaged", "count")]
    assert set(StockAdjustment.objects.values_list("user__username", flat=True)) == {"clerk"}


def test_adjustment_below_allocated_or_zero_is_refused_and_changes_nothing():
    wh = make_warehouse()
    a = make_sku(code="A")
    stock = make_stock(wh, a, on_hand=10, allocated=8)

    with pytest.raises(StockAdjustmentRefused, match="below the 8 units allocated"):
        stock_adjust(stock_id=stock.pk, delta=-3, reason="count")
    with pytest.raises(StockAdjustmentRefused, match="below zero"):
        stock_adjust(stock_id=stock.pk, delta=-11, reason="count")
    with pytest.raises(InvalidInput, match="reason"):
        stock_adjust(stock_id=stock.pk, delta=1, reason="  ")
    with pytest.raises(InvalidInput, match="non-zero"):
        stock_adjust(stock_id=stock.pk, delta=0, reason="x")

    assert stock_of(wh, a) == (10, 8)
    assert not StockAdjustment.objects.exists()
    stock_adjust(stock_id=stock.pk, delta=-2, reason="count")  # down to exactly allocated is fine
    assert stock_of(wh, a) == (8, 8)


def test_adjustment_by_warehouse_and_sku_opens_the_stock_row():
    wh = make_warehouse()
    a = make_sku(code="A")

    adjustment = stock_adjust(warehouse=wh, sku=a, delta=7, reason="first delivery")

    assert stock_of(wh, a) == (7, 0) and adjustment.on_hand_after == 7


def test_set_levels_refuses_the_whole_batch_when_one_row_is_below_allocated():
    wh = make_warehouse("suzhou")
    a, b = make_sku(code="A"), make_sku(code="B")
    make_stock(wh, a, on_hand=5), make_stock(wh, b, on_hand=5, allocated=4)

    with pytest.raises(StockAdjustmentRefused, match="suzhou/B"):
        stock_set_levels(
            [StockLevelRow(wh.pk, a.pk, on_hand=9), StockLevelRow(wh.pk, b.pk, on_hand=3)], user=None
        )

    assert stock_of(wh, a) == (5, 0) and stock_of(wh, b) == (5, 4)
    assert not StockAdjustment.objects.exists()


# ---- import -------------------------------------------------------------------------------------

HEADERS = ["warehouse", "sku", "on_hand", "safety_threshold", "bin_location"]


def sheet(*rows):
    return tablib.Dataset(*rows, headers=HEADERS)


def test_import_sets_levels_as_adjustments_and_never_touches_allocated():
    # Given A with 3 of 10 allocated in Suzhou, and B not stocked there yet
    wh = make_warehouse("suzhou")
    a, b = make_sku(code="A"), make_sku(code="B")
    make_stock(wh, a, on_hand=10, allocated=3)
    boss = make_user("boss")

    # When a sheet says A is 6 (bin A-01, safety 2) and B is 4
    result = StockLevelResource().import_data(
        sheet(["suzhou", "A", 6, 2, "A-01"], ["suzhou", "B", 4, 0, ""]), dry_run=False, user=boss
    )

    # Then the levels are set, allocated kept, and each change is an "import" adjustment by the user
    assert not result.has_errors() and not result.has_validation_errors()
    assert stock_of(wh, a) == (6, 3) and stock_of(wh, b) == (4, 0)
    stock_a = Stock.objects.get(sku=a)
    assert (stock_a.safety_threshold, stock_a.bin_location) == (2, "A-01")
    rows = StockAdjustment.objects.order_by("stock__sku__code").values_list(
        "stock__sku__code", "delta", "on_hand_after", "reason", "source", "user__username"
    )
    assert list(rows) == [("A", -4, 6, "import", "import", "boss"), ("B", 4, 4, "import", "import", "boss")]

    # And importing the same sheet again changes nothing and records nothing
    StockLevelResource().import_data(
        sheet(["suzhou", "A", 6, 2, "A-01"], ["suzhou", "B", 4, 0, ""]), dry_run=False, user=boss
    )
    assert StockAdjustment.objects.count() == 2


def test_import_with_any_bad_row_imports_nothing_and_names_the_rows():
    wh = make_warehouse("suzhou")
    a, b = make_sku(code="A"), make_sku(code="B")
    make_stock(wh, a, on_hand=10), make_stock(wh, b, on_hand=10, allocated=5)

    result = StockLevelResource().import_data(
        sheet(
            ["suzhou", "A", 20, 0, ""],  # fine on its own
            ["suzhou", "B", 4, 0, ""],  # below the 5 allocated
            ["nowhere", "A", 1, 0, ""],  # unknown warehouse
            ["suzhou", "A", -1, 0, ""],  # negative
            ["suzhou", "A", "lots", 0, ""],  # not a number
        ),
        dry_run=False,
        raise_errors=False,
    )

    failing = {row.number for row in result.invalid_rows} | {number for number, _ in result.row_errors()}
    assert failing == {2, 3, 4, 5}
    assert stock_of(wh, a) == (10, 0) and stock_of(wh, b) == (10, 5)
    assert not StockAdjustment.objects.exists()


def xlsx_upload(*rows, name="stock.xlsx"):
    book = Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_admin_imports_an_xlsx_after_the_preview(client):
    # Given a warehouse clerk and a sheet with one level
    clerk = make_user("clerk", groups=[WAREHOUSE])
    client.force_login(clerk)
    wh = make_warehouse("suzhou")
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=1)

    # When the sheet is previewed, then confirmed
    preview = client.post(
        "/admin/fulfillment/stock/import/",
        {"import_file": xlsx_upload(["suzhou", "A", 12, 3, "B-2"]), "format": "1", "resource": "0"},
    )
    assert preview.status_code == 200 and stock_of(wh, a) == (1, 0)  # a preview changes nothing
    confirm = preview.context["confirm_form"].initial
    client.post("/admin/fulfillment/stock/process_import/", confirm)

    # Then the level is set through an adjustment by the clerk
    assert stock_of(wh, a) == (12, 0)
    adjustment = StockAdjustment.objects.get()
    assert (adjustment.delta, adjustment.user, adjustment.reason) == (11, clerk, "import")


def test_admin_import_preview_shows_a_row_below_allocated_and_saves_nothing(client):
    client.force_login(make_user("clerk", groups=[WAREHOUSE]))
    wh = make_warehouse("suzhou")
    a = make_sku(code="A")
    make_stock(wh, a, on_hand=10, allocated=6)

    response = client.post(
        "/admin/fulfillment/stock/import/",
        {"import_file": xlsx_upload(["suzhou", "A", 2, 0, ""]), "format": "1", "resource": "0"},
    )

    assert "below the 6 units allocated" in response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert stock_of(wh, a) == (10, 6)


# ---- console ------------------------------------------------------------------------------------


def test_stock_list_shows_available_and_finds_by_barcode_and_safety(client):
    client.force_login(make_user("clerk", groups=[WAREHOUSE]))
    wh = make_warehouse("suzhou")
    low = make_sku(code="LOW-1", barcode="6901111111111")
    make_stock(wh, low, on_hand=10, allocated=8, safety_threshold=3)
    make_stock(wh, make_sku(code="PLENTY-1"), on_hand=50, safety_threshold=3)

    html = client.get("/admin/fulfillment/stock/").content.decode()
    assert "LOW-1" in html and "PLENTY-1" in html and "field-available" in html

    by_barcode = client.get("/admin/fulfillment/stock/?q=6901111111111").content.decode()
    assert "LOW-1" in by_barcode and "PLENTY-1" not in by_barcode
    below = client.get("/admin/fulfillment/stock/?below_safety=yes").content.decode()
    assert "LOW-1" in below and "PLENTY-1" not in below


def test_the_adjust_action_calls_the_service_with_the_reason(client):
    clerk = make_user("clerk", groups=[WAREHOUSE])
    client.force_login(clerk)
    wh = make_warehouse()
    a, b = make_sku(code="A"), make_sku(code="B")
    sa, sb = make_stock(wh, a, on_hand=10), make_stock(wh, b, on_hand=1, allocated=1)
    url = "/admin/fulfillment/stock/"

    # Without a reason nothing happens and the clerk is told why
    response = client.post(
        url, {"action": "adjust_stock", "_selected_action": [sa.pk], "delta": "5"}, follow=True
    )
    assert "a reason" in response.content.decode() and stock_of(wh, a) == (10, 0)

    # With one, each row goes through the service; a refused row is reported, the other still changes
    response = client.post(
        url,
        {"action": "adjust_stock", "_selected_action": [sa.pk, sb.pk], "delta": "-1", "reason": "stocktake"},
        follow=True,
    )
    assert stock_of(wh, a) == (9, 0) and stock_of(wh, b) == (1, 1)
    assert "allocated to orders" in response.content.decode()
    adjustment = StockAdjustment.objects.get()
    assert (adjustment.stock_id, adjustment.delta, adjustment.reason, adjustment.user) == (
        sa.pk,
        -1,
        "stocktake",
        clerk,
    )


def test_the_stock_form_edits_settings_but_never_on_hand_or_allocated(client):
    client.force_login(make_user("boss", superuser=True))
    wh = make_warehouse()
    a = make_sku(code="A")
    stock = make_stock(wh, a, on_hand=10, allocated=4)

    response = client.post(
        f"/admin/fulfillment/stock/{stock.pk}/change/",
        {"on_hand": "999", "allocated": "0", "safety_threshold": "6", "bin_location": "C-3"},
    )

    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated, stock.safety_threshold, stock.bin_location) == (10, 4, 6, "C-3")
    assert "delete" not in client.get(f"/admin/fulfillment/stock/{stock.pk}/change/").content.decode().lower()


def test_history_allocation_and_warehouse_pages_render(client):
    client.force_login(make_user("boss", superuser=True))
    wh = make_warehouse("suzhou", name="苏州仓")
    a = make_sku(code="A")
    stock = make_stock(wh, a, on_hand=5)
    stock_adjust(stock_id=stock.pk, delta=2, reason="received PO-9")
    order = make_paid_order((a, 1), order_id="ALLOC-1")
    stock_allocate(order_id=order.pk, requests=requests_for(order, wh), actor=SYSTEM)

    history = client.get(f"/admin/fulfillment/stockadjustment/?stock__sku__id__exact={a.pk}").content.decode()
    assert "received PO-9" in history
    assert "ALLOC-1" in client.get("/admin/fulfillment/allocation/").content.decode()
    warehouse_page = client.get(f"/admin/fulfillment/warehouse/{wh.pk}/change/").content.decode()
    assert "苏州仓" in warehouse_page and "A" in warehouse_page
    assert client.get("/admin/fulfillment/carrier/").status_code == 200


def test_roles_see_and_change_what_their_work_needs(client):
    wh = make_warehouse()
    stock = make_stock(wh, make_sku(code="A"), on_hand=5)
    post = {"action": "adjust_stock", "_selected_action": [stock.pk], "delta": "1", "reason": "x"}

    for username, role in (("kefu", CUSTOMER_SERVICE), ("caiwu", FINANCE)):
        client.force_login(make_user(username, groups=[role]))
        assert client.get("/admin/fulfillment/stock/").status_code == 200
        client.post("/admin/fulfillment/stock/", post)
        assert stock_of(wh, stock.sku) == (5, 0)  # the action is not theirs
        assert client.get("/admin/fulfillment/stock/import/").status_code == 403

    kefu = make_user("kefu2", groups=[CUSTOMER_SERVICE])
    assert kefu.has_perms(["fulfillment.view_giftrule", "fulfillment.view_routingrule"])
    assert not kefu.has_perm("fulfillment.change_giftrule")  # rules are changed by administrators
    assert not kefu.has_perm("fulfillment.add_stockadjustment")
    clerk = make_user("cangku", groups=[WAREHOUSE])
    assert clerk.has_perms(["fulfillment.change_stock", "fulfillment.add_stockadjustment"])
    assert not clerk.has_perm("fulfillment.change_giftrule")
    assert not make_user("caiwu2", groups=[FINANCE]).has_perm("fulfillment.view_allocation")
