# ruff: noqa: F811 - pytest fixtures imported from warehouse_fixtures

"""Ship: every platform's real ship API against the sandbox, and the whole path — packed + waybill →
shipped, stock out, tracking number written back with a platform failure and its retry."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from channels_sync.platforms.base import PlatformError
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.shipping import ShipRequest, shop_ship
from fulfillment.exceptions import WarehouseRefused
from fulfillment.models import Allocation, StockAdjustment
from fulfillment.models_warehouse import Parcel, ShipWriteBack
from fulfillment.selectors_warehouse import writebacks_needing_attention
from fulfillment.services.shipping import order_ship, ship_writeback_attempt, ship_writebacks_due
from orderhub.events import Actor
from orderhub.models import Order
from orderhub.services.holds import hold_place
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
PLATFORMS = ("taobao", "jd", "pdd", "douyin", "youzan", "shopee", "lazada", "shopify")
# What each platform's sandbox received: the API and the fields carrying the order and tracking number.
RECEIVED = {
    "taobao": ("taobao.logistics.offline.send", "tid", "out_sid"),
    "jd": ("jingdong.pop.order.shipment", "orderId", "logiNo"),
    "pdd": ("pdd.logistics.online.send", "order_sn", "tracking_number"),
    "douyin": ("order.logisticsAdd", "order_id", "logistics_code"),
    "youzan": ("youzan.logistics.online.confirm", "tid", "out_sid"),
    "shopee": ("/api/v2/logistics/ship_order", "order_sn", None),
    "lazada": ("/order/rts", None, "tracking_number"),
    "shopify": ("/fulfillments.json", None, None),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_takes_the_tracking_number_through_its_ship_api(platform, sandbox, http):
    fake = generate_order(sandbox.state, demo_shop(platform), now=datetime.now(UTC))
    shop = sandbox_shop(sandbox, platform)
    request = ShipRequest(
        platform_order_id=fake.order_id,
        carrier_code="YTO",
        carrier_name="圆通速递",
        tracking_number="YT8800001234",
        platform_line_ids=tuple(line.line_id for line in fake.lines),
    )

    shop_ship(shop=shop, request=request, http=http)

    api, order_field, number_field = RECEIVED[platform]
    _, _, sent = next(call for call in sandbox.state.received if call[0] == platform and call[1] == api)
    if order_field:
        assert str(sent[order_field]) == fake.order_id
    if number_field:
        assert sent[number_field] == "YT8800001234"
    assert (fake.status, fake.tracking_number) == ("shipped", "YT8800001234")


def test_a_platform_refusal_is_an_error_not_a_success(sandbox, http):
    shop = sandbox_shop(sandbox, "pdd")
    request = ShipRequest("no-such-order", "YTO", "圆通速递", "YT1")
    with pytest.raises(PlatformError, match="订单不存在"):
        shop_ship(shop=shop, request=request, http=http)
    with pytest.raises(PlatformError, match="carrier_codes"):
        shop_ship(shop=shop, request=ShipRequest("1", "NOPE", "?", "X1"), http=http)


def test_ship_writes_back_after_a_platform_failure_and_retry(packed, sandbox, http):
    order, waybill, fake, stock = packed
    actor = Actor.system("dock")

    (writeback,) = order_ship(order_id=order.pk, actor=actor)

    order.refresh_from_db()
    stock.refresh_from_db()
    assert (order.status, order.tracking_number) == ("shipped", waybill.number)
    assert (stock.on_hand, stock.allocated) == (8, 0)
    assert set(Allocation.objects.filter(line__order=order).values_list("status", flat=True)) == {"shipped"}
    assert StockAdjustment.objects.get(stock=stock, source="ship").delta == -2
    assert Parcel.objects.get(order=order).shipped_at is not None
    assert writeback.status == "pending"

    # The platform's gateway fails once: the attempt is recorded, visible and scheduled again.
    sandbox.state.faults.fail_next = 1
    failed = ship_writeback_attempt(writeback_id=writeback.pk, http=http)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "HTTP 503" in failed.last_error and failed.next_attempt_at > timezone.now()
    assert list(writebacks_needing_attention()) == [failed]
    assert order.events.filter(type="ship_write_back_failed").count() == 1
    assert fake.status == "paid"
    # Not due yet: neither the schedule nor a duplicate task calls the platform again.
    assert ship_writebacks_due(http=http)["attempted"] == 0
    assert ship_writeback_attempt(writeback_id=writeback.pk, http=http).attempts == 1

    figures = ship_writebacks_due(now=timezone.now() + timedelta(minutes=2), http=http)

    done = ShipWriteBack.objects.get(pk=writeback.pk)
    assert figures == {"attempted": 1, "done": 1, "failed": 0}
    assert (done.status, done.attempts, done.last_error) == ("done", 2, "")
    assert (fake.status, fake.tracking_number) == ("shipped", waybill.number)
    sent = [
        params for platform, api, params in sandbox.state.received if api == "taobao.logistics.offline.send"
    ]
    assert sent == [{"tid": order.platform_order_id, "out_sid": waybill.number, "company_code": "YTO"}]
    assert order.events.filter(type="ship_written_back").count() == 1
    assert not writebacks_needing_attention().exists()


def test_a_refusing_platform_keeps_the_write_back_failing_and_retried(packed, sandbox, http):
    order, _, fake, _ = packed
    (writeback,) = order_ship(order_id=order.pk, actor=Actor.system("dock"))
    sandbox.state.orders[("taobao", fake.shop_id)].pop(fake.order_id)  # the platform no longer knows it

    later = timezone.now()
    for attempt in range(1, 4):
        later += timedelta(hours=2)
        ship_writebacks_due(now=later, http=http)
        writeback.refresh_from_db()
        assert (writeback.status, writeback.attempts) == ("failed", attempt)
    assert "订单不存在" in writeback.last_error
    assert writeback.next_attempt_at > timezone.now()  # still scheduled: never dropped


def test_held_or_unpacked_orders_do_not_ship(packed, sandbox, http):
    order, _, _, _ = packed
    hold_place(order=order, kind="refund", reason="refund intercept", actor=Actor.system("refunds"))
    with pytest.raises(WarehouseRefused, match="refund intercept"):
        order_ship(order_id=order.pk, actor=Actor.system("dock"))
    assert Order.objects.get(pk=order.pk).status == "paid"
    assert not ShipWriteBack.objects.exists()


def test_schedules_retry_write_backs_and_poll_tracking():
    from django_q.models import Schedule

    schedules = dict(Schedule.objects.values_list("func", "minutes"))
    assert schedules["fulfillment.tasks_warehouse.ship_writebacks_run"] == 2
    assert schedules["fulfillment.tasks_warehouse.tracking_poll_run"] == 30
    assert schedules["fulfillment.tasks_warehouse.tracking_missing_run"] == 10


def test_a_cancelled_order_loses_its_waybill(packed):
    from django.conf import settings

    from fulfillment.tasks_warehouse import waybills_void_on_cancel
    from orderhub.services.orders import order_cancel

    order, waybill, _, _ = packed
    subscribers = settings.DOMAIN_EVENT_SUBSCRIBERS["order.cancelled"]
    assert "fulfillment.tasks_warehouse.waybills_void_on_cancel" in subscribers
    order_cancel(order_id=order.pk, actor=Actor.system("buyer"), reason="buyer cancelled")

    assert waybills_void_on_cancel(order_id=order.pk) == 1
    waybill.refresh_from_db()
    assert (waybill.status, waybill.void_reason) == ("voided", "order cancelled")


def test_a_merged_parcel_writes_back_to_every_source_order(sandbox, http):
    from fulfillment.models_decisions import MergeGroup, OrderFulfillment
    from fulfillment.services.packing import pack_scan
    from fulfillment.services.waybills import waybill_issue
    from tests.factories import make_user

    site = make_site()
    cup, lid = skus(2)
    stock_up(site, cup, lid)
    taobao_fake = generate_order(sandbox.state, demo_shop("taobao"), now=datetime.now(UTC))
    pdd_fake = generate_order(sandbox.state, demo_shop("pdd"), now=datetime.now(UTC))
    first = allocated_order(
        sandbox_shop(sandbox, "taobao"), (cup, 1), order_id=taobao_fake.order_id, phone="13911112222"
    )
    second = allocated_order(
        sandbox_shop(sandbox, "pdd"), (lid, 1), order_id=pdd_fake.order_id, phone="13911112222"
    )
    group = MergeGroup.objects.create()
    OrderFulfillment.objects.filter(order__in=[first, second]).update(merge_group=group)
    packer = make_user("merge-packer")

    opened = pack_scan(barcode=first.platform_order_id, user=packer)
    assert {row.sku_code for row in opened.expected} == {cup.code, lid.code}  # one parcel, both orders
    pack_scan(barcode=cup.barcode, user=packer, order_id=first.pk)
    assert pack_scan(barcode=lid.barcode, user=packer, order_id=first.pk).packed
    waybill = waybill_issue(order_id=first.pk, actor=Actor.of_user(packer), http=http)

    writebacks = order_ship(order_id=first.pk, actor=Actor.system("dock"))
    for writeback in writebacks:
        ship_writeback_attempt(writeback_id=writeback.pk, http=http)

    assert sorted(w.order_id for w in writebacks) == sorted([first.pk, second.pk])
    assert set(ShipWriteBack.objects.values_list("status", flat=True)) == {"done"}
    assert Order.objects.get(pk=second.pk).tracking_number == waybill.number
    assert (taobao_fake.tracking_number, pdd_fake.tracking_number) == (waybill.number, waybill.number)
    assert Parcel.objects.get(order=second).status == "shipped"
