"""Builders for warehouse-execution tests: a warehouse with bins and a carrier, allocated orders made
through the real upsert and decision services, shops wired to a running sandbox."""

import itertools
from datetime import UTC, datetime

import httpx
import pytest

from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.server import RunningSandbox
from fulfillment.models import Carrier, Stock, Warehouse
from fulfillment.services.decide import order_process
from fulfillment.services.packing import pack_scan
from fulfillment.services.waybills import waybill_issue
from orderhub.events import Actor
from orderhub.models import Order, Shop, Sku
from tests.factories import line, make_order, make_sku, make_user

SYSTEM = Actor.system("test")
_ids = itertools.count(1)


@pytest.fixture
def sandbox():
    with RunningSandbox(demo_state()) as running:
        yield running


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.CHANNEL_RETRY_DELAY_SECONDS = 0
    settings.CHANNEL_RATE_LIMIT_SLEEP_FACTOR = 0.01


def sandbox_shop(sandbox: RunningSandbox, platform: str = "taobao", **fields) -> Shop:
    demo = demo_shop(platform)
    n = next(_ids)
    return Shop.objects.create(
        platform=platform,
        code=f"wh-{platform}-{n}",
        name=f"{platform} shop {n}",
        platform_shop_id=demo.shop_id,
        credentials={
            "app_key": demo.app_key,
            "app_secret": demo.app_secret,
            "access_token": demo.access_token,
        },
        api_base_url=sandbox.base_url(platform),
        **fields,
    )


def make_site(code: str = "SZ") -> Warehouse:
    carrier, _ = Carrier.objects.get_or_create(code="YTO", defaults={"name": "圆通速递"})
    return Warehouse.objects.create(
        code=code,
        name=f"{code} warehouse",
        province="江苏省",
        city="苏州市",
        district="吴中区",
        address="郭巷街道 88 号",
        contact_name="王仓",
        contact_phone="0512-66668888",
        default_carrier=carrier,
    )


def stock_up(warehouse: Warehouse, *skus: Sku, on_hand: int = 1000) -> None:
    for n, sku in enumerate(skus, start=1):
        Stock.objects.get_or_create(
            warehouse=warehouse,
            sku=sku,
            defaults={"on_hand": on_hand, "bin_location": f"A-{n:02d}-{sku.pk % 10}"},
        )


def allocated_order(shop: Shop, *items: tuple[Sku, int], order_id: str | None = None, **fields) -> Order:
    """A paid order through the real upsert, decided (allocated) by order_process."""
    lines = [line(outer=sku.code, quantity=quantity) for sku, quantity in items]
    n = next(_ids)
    fields.setdefault("phone", f"139{n:08d}")  # one buyer each: many orders from one phone look risky
    order = make_order(shop, order_id or f"T{n:07d}", lines=lines, **fields)
    order_process(order_id=order.pk, actor=SYSTEM)
    order.refresh_from_db()
    assert order.fulfillment.state == "allocated", list(order.holds.values_list("reason", flat=True))
    return order


def skus(n: int = 2) -> list[Sku]:
    return [make_sku(name=f"保温杯 {i}") for i in range(n)]


def code128_bars(value: str) -> int:
    """How many bars reportlab's Code128 draws for this value (upper-case letters of its pattern)."""
    from reportlab.graphics.barcode.code128 import Code128

    barcode = Code128(value)
    barcode.validate()
    barcode.encode()
    barcode.decompose()
    return sum(1 for char in barcode.decomposed if char.isupper())


def drawn_rectangles(page) -> int:
    """Rectangles (`re` operators) in a pypdf page's decompressed content stream."""
    return sum(1 for line in page.get_contents().get_data().split(b"\n") if b" re f" in line)


@pytest.fixture
def packed(sandbox, http):
    """A Taobao order known to the sandbox, allocated, packed at the station, with its waybill."""
    site = make_site()
    (cup,) = skus(1)
    stock_up(site, cup, on_hand=10)
    fake = generate_order(sandbox.state, demo_shop("taobao"), now=datetime.now(UTC))
    order = allocated_order(sandbox_shop(sandbox, "taobao"), (cup, 2), order_id=fake.order_id)
    packer = make_user("packer")
    opened = pack_scan(barcode=order.platform_order_id, user=packer)
    pack_scan(barcode=cup.barcode, user=packer, order_id=opened.order.pk)
    assert pack_scan(barcode=cup.barcode, user=packer, order_id=opened.order.pk).packed
    waybill = waybill_issue(order_id=order.pk, actor=Actor.of_user(packer), http=http)
    return order, waybill, fake, Stock.objects.get(warehouse=site, sku=cup)
