"""Stock push: the quantity per shop, debounced pushes to the sandbox over HTTP, failures, and the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_sync.sandbox.demo import demo_state
from channels_sync.sandbox.server import RunningSandbox
from fulfillment.models import Stock, StockPush, Warehouse
from fulfillment.services.stock_push import stock_push_calculate, stock_push_due
from fulfillment.stock_push_tasks import stock_push_mark, stock_push_run
from orderhub.models import SkuMapping, SkuMappingItem
from tests.channels_sync.conftest import sandbox_shop
from tests.factories import line, make_order, make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db
JD_SKU_ID = "4242424200"


@pytest.fixture
def sandbox():
    with RunningSandbox(demo_state()) as running:
        yield running


@pytest.fixture
def warehouses():
    return (
        Warehouse.objects.create(code="SZ", name="Suzhou", province="江苏省", city="苏州市"),
        Warehouse.objects.create(code="HF", name="Hefei", province="安徽省", city="合肥市"),
    )


def stock(warehouse, sku, on_hand, allocated=0):
    return Stock.objects.update_or_create(
        warehouse=warehouse, sku=sku, defaults={"on_hand": on_hand, "allocated": allocated}
    )[0]


def mapping(shop, *items, platform_sku_id="", outer=""):
    found = SkuMapping.objects.create(shop=shop, platform_sku_id=platform_sku_id, outer_sku_code=outer)
    for sku, quantity in items:
        SkuMappingItem.objects.create(mapping=found, sku=sku, quantity=quantity)
    return found


def row(shop, sku) -> StockPush:
    return StockPush.objects.get(shop=shop, sku=sku)


def writes(sandbox):
    return [params for _, _, params in sandbox.state.received]


# --- calculation ---------------------------------------------------------------------------------


def test_quantity_is_available_times_ratio_minus_safety(warehouses):
    # given 10 + (9 - 2) available over two warehouses and a shop pushing half, keeping 3 back
    sku = make_sku()
    stock(warehouses[0], sku, 10)
    stock(warehouses[1], sku, 9, allocated=2)
    shop = make_shop("jd", stock_ratio=Decimal("0.50"), safety_stock=3)
    mapping(shop, (sku, 1), platform_sku_id="11")
    # when the SKU is recalculated
    stock_push_calculate([sku.pk])
    # then floor(17 × 0.5) − 3
    assert row(shop, sku).calculated == 5


def test_quantity_is_never_negative_and_inactive_warehouses_do_not_count(warehouses):
    sku = make_sku()
    stock(warehouses[0], sku, 4)
    stock(warehouses[1], sku, 100)
    Warehouse.objects.filter(pk=warehouses[1].pk).update(active=False)
    shop = make_shop("jd", safety_stock=10)
    mapping(shop, (sku, 1), platform_sku_id="11")
    stock_push_calculate([sku.pk])
    assert row(shop, sku).calculated == 0


def test_a_bundle_sells_as_many_as_its_scarcest_component(warehouses):
    # given a shop selling A alone and a bundle of A + 2 × B
    a, b = make_sku(), make_sku()
    stock(warehouses[0], a, 10)
    stock(warehouses[0], b, 7)
    shop = make_shop("jd")
    mapping(shop, (a, 1), platform_sku_id="A1")
    mapping(shop, (a, 1), (b, 2), platform_sku_id="BUNDLE")
    # when A changes
    stock_push_calculate([a.pk])
    # then A alone shows 10; the bundle, kept on B's row (A's is taken), min(10 / 1, 7 / 2) = 3
    assert row(shop, a).calculated == 10
    assert row(shop, b).calculated == 3


def test_a_multipack_divides_by_its_units(warehouses):
    sku = make_sku()
    stock(warehouses[0], sku, 7)
    shop = make_shop("jd")
    mapping(shop, (sku, 3), platform_sku_id="PACK3")
    stock_push_calculate([sku.pk])
    assert row(shop, sku).calculated == 2


def test_only_active_api_shops_that_sell_the_sku_get_a_row(warehouses):
    sku = make_sku(code="ZP-2026-01")
    stock(warehouses[0], sku, 8)
    mapped = make_shop("jd")
    mapping(mapped, (sku, 1), platform_sku_id="11")
    # an order line whose outer code is our SKU code maps without a mapping row
    ordered = make_shop("taobao")
    make_order(ordered, lines=[line(outer="ZP-2026-01")])
    inactive = make_shop("pdd", active=False)
    mapping(inactive, (sku, 1), platform_sku_id="22")
    offline = make_shop("manual")
    mapping(offline, (sku, 1), outer="ZP-2026-01")
    make_shop("douyin")  # sells something else
    stock_push_calculate([sku.pk])
    assert set(StockPush.objects.values_list("shop_id", "calculated")) == {(mapped.pk, 8), (ordered.pk, 8)}


def test_an_order_line_older_than_90_days_no_longer_counts(warehouses):
    sku = make_sku(code="OLD-1")
    stock(warehouses[0], sku, 8)
    shop = make_shop("taobao")
    order = make_order(shop, lines=[line(outer="OLD-1")])
    type(order).objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=91))
    stock_push_calculate([sku.pk])
    assert not StockPush.objects.exists()


# --- pushing -------------------------------------------------------------------------------------


@pytest.fixture
def jd_listing(sandbox, warehouses):
    sku = make_sku()
    shop = sandbox_shop(sandbox, "jd")
    mapping(shop, (sku, 1), platform_sku_id=JD_SKU_ID)
    return shop, sku


def test_two_changes_within_the_debounce_make_one_push_of_the_latest_quantity(
    sandbox, jd_listing, warehouses
):
    shop, sku = jd_listing
    # given a change, and another 10 seconds later
    stock(warehouses[0], sku, 12)
    stock_push_mark([sku.pk])
    first_due = row(shop, sku).due_at
    stock(warehouses[0], sku, 9)
    stock_push_mark([sku.pk])
    # then the push stays due at the first change's time plus the debounce
    assert row(shop, sku).due_at == first_due
    assert stock_push_due(first_due - timedelta(seconds=1)) == 0
    # when the window has passed
    assert stock_push_due(first_due) == 1
    # then the shop was told once, the latest quantity
    assert writes(sandbox) == [{"skuId": JD_SKU_ID, "stockNum": 9}]
    pushed = row(shop, sku)
    assert (pushed.last_pushed, pushed.due_at, pushed.last_error) == (9, None, "")
    assert pushed.pushed_at is not None


def test_unchanged_quantity_is_not_pushed_again(sandbox, jd_listing, warehouses):
    shop, sku = jd_listing
    stock(warehouses[0], sku, 6)
    stock_push_calculate([sku.pk])
    stock_push_due(timezone.now() + timedelta(minutes=1))
    # when the stock is recalculated to the same figure
    stock_push_calculate([sku.pk])
    # then nothing is due and nothing more is sent
    assert row(shop, sku).due_at is None
    assert stock_push_due(timezone.now() + timedelta(minutes=5)) == 0
    assert len(writes(sandbox)) == 1


def test_a_failed_push_is_recorded_and_retried_later(sandbox, jd_listing, warehouses, settings):
    settings.STOCK_PUSH_RETRY_SECONDS = 60
    shop, sku = jd_listing
    stock(warehouses[0], sku, 5)
    stock_push_calculate([sku.pk])
    # given the platform fails the next call
    sandbox.state.faults.fail_next = 1
    now = timezone.now() + timedelta(minutes=1)
    # when the push runs, it does not raise
    assert stock_push_due(now) == 0
    failed = row(shop, sku)
    assert "503" in failed.last_error and failed.last_pushed is None
    assert failed.due_at == now + timedelta(seconds=60)
    # then a later run pushes it and clears the error
    assert stock_push_due(now + timedelta(seconds=60)) == 1
    assert (row(shop, sku).last_pushed, row(shop, sku).last_error) == (5, "")


def test_a_revoked_token_waits_an_hour_and_other_shops_still_get_theirs(sandbox, warehouses, settings):
    settings.STOCK_PUSH_RETRY_MAX_SECONDS = 3600
    sku = make_sku()
    stock(warehouses[0], sku, 4)
    revoked = sandbox_shop(sandbox, "jd")
    revoked.credentials = {**revoked.credentials, "access_token": "revoked"}
    revoked.save(update_fields=["credentials"])
    mapping(revoked, (sku, 1), platform_sku_id=JD_SKU_ID)
    good = sandbox_shop(sandbox, "douyin")
    mapping(good, (sku, 1), platform_sku_id="777")
    stock_push_calculate([sku.pk])
    now = timezone.now() + timedelta(minutes=1)
    assert stock_push_due(now) == 1
    assert row(revoked, sku).due_at == now + timedelta(hours=1)
    assert "JD error" in row(revoked, sku).last_error
    assert writes(sandbox) == [{"sku_id": 777, "stock_num": 4, "incremental": False}]


def test_the_run_task_pushes_what_is_due(sandbox, jd_listing, warehouses):
    _, sku = jd_listing
    stock(warehouses[0], sku, 3)
    stock_push_calculate([sku.pk])
    StockPush.objects.update(due_at=timezone.now())
    assert stock_push_run() == 1
    assert writes(sandbox) == [{"skuId": JD_SKU_ID, "stockNum": 3}]


def test_the_schedule_exists():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="fulfillment.stock_push_tasks.stock_push_run")
    assert (schedule.schedule_type, schedule.minutes) == ("I", 1)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_calculated_beside_last_pushed(client, sandbox, jd_listing, warehouses):
    shop, sku = jd_listing
    stock(warehouses[0], sku, 8)
    stock_push_calculate([sku.pk])
    StockPush.objects.filter(shop=shop, sku=sku).update(last_pushed=3)
    client.force_login(make_user("viewer", permissions=["fulfillment.view_stock"]))
    response = client.get(reverse("stock-push", args=[sku.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="num calculated">8<' in page
    assert 'class="num last-pushed warn">3<' in page
    assert JD_SKU_ID in page
    assert "Push now" not in page  # viewing is not pushing


def test_push_now_marks_due_and_pushes(client, sandbox, jd_listing, warehouses):
    shop, sku = jd_listing
    stock(warehouses[0], sku, 8)
    user = make_user("pusher", permissions=["fulfillment.view_stock", "fulfillment.change_stock"])
    client.force_login(user)
    response = client.post(reverse("stock-push", args=[sku.code]))
    assert response.status_code == 302
    assert writes(sandbox) == [{"skuId": JD_SKU_ID, "stockNum": 8}]
    assert row(shop, sku).last_pushed == 8


def test_the_page_needs_its_permissions(client, jd_listing):
    _, sku = jd_listing
    url = reverse("stock-push", args=[sku.code])
    assert client.get(url).status_code == 302  # to the login
    client.force_login(make_user("nobody"))
    assert client.get(url).status_code == 403
    client.force_login(make_user("viewer", permissions=["fulfillment.view_stock"]))
    assert client.post(url).status_code == 403
    assert client.get(reverse("stock-push", args=["NO-SUCH-SKU"])).status_code == 404
