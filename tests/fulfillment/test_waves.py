"""Waves from allocated orders (warehouse, carrier, shop, single/multi, priority first; held and
already-waved orders stay out) and the pick list PDF (SKU totals with bins, per-order barcodes, gifts
and holds marked)."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from fulfillment.exceptions import WarehouseRefused
from fulfillment.models import Carrier, GiftRule, Stock
from fulfillment.models_warehouse import Parcel, WaveOrder
from fulfillment.pdf.picklist import pick_list_pdf
from fulfillment.selectors_warehouse import WaveFilters, pick_list
from fulfillment.services.waves import wave_create, wave_picked
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.services.holds import hold_place
from orderhub.services.orders import order_mark_priority
from tests.factories import make_shop, make_sku, make_user
from tests.fulfillment.warehouse_fixtures import (
    allocated_order,
    code128_bars,
    drawn_rectangles,
    make_site,
    stock_up,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return Actor.of_user(make_user("wave-lead"))


@pytest.fixture
def site():
    return make_site()


@pytest.fixture
def goods(site):
    cup, lid = make_sku(name="保温杯"), make_sku(name="杯盖")
    stock_up(site, cup, lid)
    return cup, lid


def test_wave_takes_allocated_orders_priority_first_and_leaves_held_ones_out(site, goods, lead):
    cup, _ = goods
    shop = make_shop()
    first, second, held, vip = (allocated_order(shop, (cup, 1)) for _ in range(4))
    hold_place(order=held, kind="refund", reason="refund intercept", actor=lead)
    order_mark_priority(order_id=vip.pk, actor=lead)

    wave = wave_create(filters=WaveFilters(warehouse_id=site.pk), actor=lead)

    assert list(wave.wave_orders.values_list("order_id", flat=True)) == [vip.pk, first.pk, second.pk]
    assert wave.created_by_id == lead.user_id and wave.code.endswith(f"-{site.code}-001")
    assert Parcel.objects.get(order=first).status == "picking"
    assert first.events.filter(type="waved", parameters__wave=wave.code).exists()
    # The same orders are never waved twice.
    with pytest.raises(WarehouseRefused):
        wave_create(filters=WaveFilters(warehouse_id=site.pk), actor=lead)


def test_wave_filters_single_multi_shop_and_carrier(site, goods, lead):
    cup, lid = goods
    shop_a, shop_b = make_shop(), make_shop()
    single = allocated_order(shop_a, (cup, 1))
    multi = allocated_order(shop_a, (cup, 1), (lid, 1))
    other_shop = allocated_order(shop_b, (cup, 1))

    singles = wave_create(
        filters=WaveFilters(warehouse_id=site.pk, kind="single", shop_id=shop_a.pk), actor=lead
    )
    assert list(singles.wave_orders.values_list("order_id", flat=True)) == [single.pk]
    sf = Carrier.objects.create(code="SF", name="顺丰")
    with pytest.raises(WarehouseRefused):
        wave_create(filters=WaveFilters(warehouse_id=site.pk, carrier_id=sf.pk), actor=lead)
    multis = wave_create(filters=WaveFilters(warehouse_id=site.pk, kind="multi"), actor=lead)
    assert list(multis.wave_orders.values_list("order_id", flat=True)) == [multi.pk]
    rest = wave_create(filters=WaveFilters(warehouse_id=site.pk, limit=10), actor=lead)
    assert list(rest.wave_orders.values_list("order_id", flat=True)) == [other_shop.pk]
    with pytest.raises(InvalidInput):
        wave_create(filters=WaveFilters(warehouse_id=site.pk, kind="both"), actor=lead)


def test_pick_list_pdf_groups_by_sku_and_shows_each_order_with_its_barcode(site, goods, lead):
    cup, lid = goods
    brush = make_sku(name="杯刷")
    stock_up(site, brush)
    rule = GiftRule.objects.create(name="gift", gift_sku=brush, gift_quantity=1, label_note="赠品:杯刷×1")
    rule.trigger_skus.add(lid)
    shop = make_shop()
    orders = [allocated_order(shop, (cup, 2)) for _ in range(38)] + [
        allocated_order(shop, (cup, 1), (lid, 1))
    ]
    wave = wave_create(filters=WaveFilters(warehouse_id=site.pk), actor=lead)
    hold_place(order=orders[0], kind="refund", reason="refund intercept after waving", actor=lead)

    pick = pick_list(wave)
    pdf = pick_list_pdf(pick)

    totals = {row.sku_code: (row.quantity, row.gift_quantity, row.bin) for row in pick.skus}
    bins = dict(Stock.objects.filter(warehouse=site).values_list("sku__code", "bin_location"))
    assert totals == {
        cup.code: (77, 0, bins[cup.code]),
        lid.code: (1, 0, bins[lid.code]),
        brush.code: (1, 1, bins[brush.code]),
    }
    assert pick.total_units == 79
    assert pick.orders[0].hold_reason == "refund intercept after waving"
    assert [line.is_gift for line in pick.orders[-1].lines] == [False, False, True]

    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 4  # SKU totals, then 39 order blocks of ~25 mm, ten to an A4 page
    text = "\n".join(page.extract_text() for page in reader.pages)
    for order in orders:
        assert order.platform_order_id in text
    assert wave.code in text and "ON HOLD" in text and "refund intercept after waving" in text
    assert "GIFT" in text and "Total" in text
    # Every order's barcode: Code128 bars on each page, at least one order's worth per order shown.
    bars = sum(drawn_rectangles(page) for page in reader.pages)
    assert bars >= sum(code128_bars(order.platform_order_id) for order in orders)


def test_wave_picked_stamps_the_cycle(site, goods, lead):
    cup, _ = goods
    order = allocated_order(make_shop(), (cup, 1))
    wave = wave_create(filters=WaveFilters(warehouse_id=site.pk), actor=lead)

    wave_picked(wave_id=wave.pk, actor=lead)

    parcel = Parcel.objects.get(order=order)
    assert parcel.picked_at is not None and parcel.allocated_at is not None and parcel.paid_at is not None
    assert order.events.filter(type="picked").count() == 1
    assert WaveOrder.objects.get(order=order).wave.status == "done"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_leads_creating_waves_at_once_never_wave_an_order_twice():
    import threading

    from django.db import connection

    site = make_site("RACE")
    cup = make_sku(name="杯")
    stock_up(site, cup)
    shop = make_shop()
    orders = [allocated_order(shop, (cup, 1)) for _ in range(30)]
    leads = [Actor.of_user(make_user(f"lead-{n}")) for n in range(2)]
    barrier, outcomes = threading.Barrier(2), []

    def create(actor):
        try:
            barrier.wait()
            outcomes.append(wave_create(filters=WaveFilters(warehouse_id=site.pk), actor=actor))
        except WarehouseRefused as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    waved = list(WaveOrder.objects.values_list("order_id", flat=True))
    assert sorted(waved) == sorted(order.pk for order in orders)  # every order once, none twice
    assert len({wave.code for wave in outcomes if not isinstance(wave, Exception)}) == len(
        [o for o in outcomes if not isinstance(o, Exception)]
    )
