"""Merging: candidates recorded when orders are decided, automatic merge when the setting says so,
the guards (cash on delivery, waybill, warehouse), splitting, and the console's reasons page."""

import pytest
from django.urls import reverse

from fulfillment.decide_tasks import order_process_task
from fulfillment.demo import seed_fulfillment_demo
from fulfillment.exceptions import MergeRefused
from fulfillment.models import FulfillmentSettings, Warehouse
from fulfillment.models_decisions import FulfillmentState, MergeGroup, OrderFulfillment
from fulfillment.models_warehouse import Waybill, WaybillProvider
from fulfillment.services import merge
from fulfillment.services.merge import merge_group_dissolve, orders_merge
from fulfillment.tasks import orders_merge_task
from orderhub import dispatch
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.models import Order, Sku
from orderhub.roles import CUSTOMER_SERVICE, WAREHOUSE
from tests.factories import line, make_order, make_shop, make_user
from tests.fulfillment.conftest import make_stock

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def sku():
    seed_fulfillment_demo()
    item = Sku.objects.get(code="ZP-2026-01")
    for warehouse in Warehouse.objects.all():
        make_stock(warehouse, item, on_hand=20)
    return item


@pytest.fixture
def queued(monkeypatch):
    tasks = []

    def queue(func, **kwargs):
        tasks.append((func, kwargs))

    monkeypatch.setattr(dispatch, "async_task", queue)
    monkeypatch.setattr(merge, "async_task", queue)
    return tasks


def decided(sku, shop=None, phone="13812341234", **fields) -> Order:
    order = make_order(
        shop or make_shop(), lines=[line(outer=sku.code, price="99.00")], phone=phone, **fields
    )
    order_process_task(order.pk)
    return order


def merge_decisions(order: Order) -> list[dict]:
    return [
        e.parameters for e in order.events.filter(type="decision", parameters__kind="merge").order_by("pk")
    ]


def test_a_second_order_to_the_same_buyer_is_recorded_as_a_merge_candidate_with_its_reasons(sku):
    first = decided(sku)
    second = decided(sku)

    (candidate,) = merge_decisions(second)
    assert candidate["outcome"] == {"can_merge": True}
    assert candidate["inputs"]["orders"] == [second.pk, first.pk]
    assert "same receiver phone" in candidate["reason"] and "same address" in candidate["reason"]
    assert not MergeGroup.objects.exists()  # shown to the reviewer, not merged: the setting is off


def test_with_automatic_merging_on_the_candidates_become_one_parcel(
    sku, queued, django_capture_on_commit_callbacks
):
    settings = FulfillmentSettings.current()
    settings.merge_automatically = True
    settings.save()
    first = decided(sku)
    with django_capture_on_commit_callbacks(execute=True):
        second = decided(sku)

    (call,) = [kwargs for func, kwargs in queued if func == "fulfillment.tasks.orders_merge_task"]
    group_id = orders_merge_task(**call)

    groups = set(
        OrderFulfillment.objects.filter(order__in=[first, second]).values_list("merge_group", flat=True)
    )
    assert groups == {group_id}
    assert merge_decisions(first)[-1]["outcome"] == {"merge_group": group_id}


def test_different_phones_are_no_candidates_and_merging_them_is_refused_with_the_reason(sku):
    first = decided(sku)
    second = decided(sku, phone="13900000000")
    assert merge_decisions(second) == []

    with pytest.raises(MergeRefused, match="different receiver phone"):
        orders_merge(order_ids=[first.pk, second.pk], actor=SYSTEM)


def test_cash_on_delivery_is_never_merged(sku):
    first = decided(sku)
    second = decided(sku, is_cod=True)

    assert Order.objects.get(pk=second.pk).is_cod
    assert merge_decisions(second) == []
    with pytest.raises(MergeRefused, match="cash on delivery is never merged"):
        orders_merge(order_ids=[first.pk, second.pk], actor=SYSTEM)


def test_no_merge_once_a_waybill_exists(sku):
    first, second = decided(sku), decided(sku)
    Waybill.objects.create(
        order=first, carrier=first.fulfillment.carrier, provider=WaybillProvider.CAINIAO, number="YT0001"
    )

    with pytest.raises(MergeRefused, match="a waybill already exists"):
        orders_merge(order_ids=[first.pk, second.pk], actor=SYSTEM)


def test_orders_allocated_in_different_warehouses_do_not_merge(sku):
    first, second = decided(sku), decided(sku)
    other = Warehouse.objects.exclude(pk=first.fulfillment.warehouse_id).first()
    OrderFulfillment.objects.filter(order=second).update(warehouse=other)

    with pytest.raises(MergeRefused, match="allocated in different warehouses"):
        orders_merge(order_ids=[first.pk, second.pk], actor=SYSTEM)


def test_a_merged_parcel_splits_back_with_a_reason(sku):
    first, second = decided(sku), decided(sku)
    group = orders_merge(order_ids=[first.pk, second.pk], actor=SYSTEM)

    with pytest.raises(InvalidInput):
        merge_group_dissolve(group_id=group.pk, actor=SYSTEM, reason=" ")
    assert merge_group_dissolve(group_id=group.pk, actor=SYSTEM, reason="buyer wants two parcels") == sorted(
        [first.pk, second.pk]
    )

    assert not MergeGroup.objects.exists()
    assert "buyer wants two parcels" in merge_decisions(first)[-1]["reason"]


def test_the_console_shows_why_and_customer_service_merges_from_it(client, sku):
    first, second = decided(sku), decided(sku)
    third = decided(sku, phone="13700000000")
    client.force_login(make_user("cs", groups=[CUSTOMER_SERVICE]))
    url = reverse("admin:fulfillment_orderfulfillment_merge_checks", args=[second.pk])

    page = client.get(url).content.decode()
    link = lambda order: reverse("admin:orderhub_order_change", args=[order.pk])  # noqa: E731
    assert "same receiver phone" in page and link(first) in page and link(third) not in page

    client.post(url, {"partner": first.pk})
    assert OrderFulfillment.objects.get(order=first).merge_group_id == second.fulfillment.merge_group_id
    assert OrderFulfillment.objects.get(order=second).merge_group_id is not None
    queue = client.get(reverse("admin:fulfillment_orderfulfillment_changelist"))
    assert queue.status_code == 200


def test_the_warehouse_sees_the_checks_but_cannot_merge(client, sku):
    first, second = decided(sku), decided(sku)
    client.force_login(make_user("wh", groups=[WAREHOUSE]))
    url = reverse("admin:fulfillment_orderfulfillment_merge_checks", args=[second.pk])

    assert client.get(url).status_code == 200
    assert client.post(url, {"partner": first.pk}).status_code == 403
    assert not MergeGroup.objects.exists()


def test_decided_orders_are_listed_vip_first(client, sku):
    decided(sku, phone="13600000001")
    vip = decided(sku, phone="13600000002")
    Order.objects.filter(pk=vip.pk).update(is_priority=True)
    OrderFulfillment.objects.filter(order=vip).update(state=FulfillmentState.PENDING)
    order_process_task(vip.pk)
    client.force_login(make_user("cs2", groups=[CUSTOMER_SERVICE]))

    page = client.get(reverse("admin:fulfillment_orderfulfillment_changelist")).content.decode()

    assert page.index(vip.platform_order_id) < page.index(
        str(Order.objects.exclude(pk=vip.pk).first().platform_order_id)
    )
