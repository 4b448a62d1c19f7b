"""Demo orders that show each decision the way staff meet them: the three hold levels, a merge
candidate, a gift and a remote-region order shipped by EMS. Called by seed_demo after the demo shops,
rules and stock exist; safe to run again (orders are matched by their ids and decided only once)."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from fulfillment.demo import GIFT_SKU, GIFT_TRIGGER
from fulfillment.services.decide import orders_process
from orderhub.events import Actor
from orderhub.models import Shop, Sku
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver
from orderhub.services.catalog import sku_save
from orderhub.services.upsert import orders_upsert

SOLD_OUT_SKU = "DEMO-SOLDOUT-01"
HANGZHOU = ("浙江省", "杭州市", "西湖区", "文三路 90 号 502 室")
# id suffix, receiver (name, phone, province, city, district, detail), lines (SKU code, quantity, unit
# price), minutes before now it was paid, buyer id
EXAMPLES = [
    (
        "ADDRESS",
        ("王五", "13700000101", "火星省", "未知市", "", "某某路 1 号"),
        [("ZP-2026-01", 1, "199.00")],
        50,
    ),
    ("RISK", ("赵六", "13700000102", *HANGZHOU), [("ZP-2026-01", 2, "2899.00")], 45),
    ("NO-STOCK", ("钱七", "13700000103", *HANGZHOU), [(SOLD_OUT_SKU, 1, "59.00")], 40),
    (
        "GIFT",
        ("孙八", "13700000104", "上海市", "上海市", "浦东新区", "世纪大道 100 号"),
        [(GIFT_TRIGGER, 2, "199.00")],
        35,
    ),
    (
        "EMS",
        ("周九", "13700000105", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路 1 号"),
        [("FP-001", 2, "39.00")],
        30,
    ),
    ("MERGE-A", ("吴十", "13700000106", *HANGZHOU), [(GIFT_SKU, 1, "39.00")], 25),
    (
        "MERGE-B",
        ("吴十", "13700000106", "浙江省", "杭州市", "西湖区", "文三路90号502室"),
        [(GIFT_SKU, 2, "39.00")],
        15,
    ),
]
PREFIX = "DECIDE-DEMO-"
# Fixed times, so that seeding again finds the same orders unchanged.
PAID_BASE = datetime(2026, 11, 11, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def seed_decision_examples(shop: Shop) -> list[int]:
    """Creates the example orders on `shop` and decides the new ones now; their ids."""
    sku_save(
        sku=Sku.objects.filter(code=SOLD_OUT_SKU).first(),
        code=SOLD_OUT_SKU,
        name="限量款(已售罄)",
        price=Decimal("59.00"),
        weight_g=300,
        barcode="6970000000994",
    )
    skus = {sku.code: sku for sku in Sku.objects.all()}
    now = PAID_BASE
    items = [(_order(shop, example, skus, now), {"demo": True}) for example in EXAMPLES]
    outcomes = orders_upsert(shop=shop, items=items, actor=Actor.system("demo"))
    new = [outcome.order_id for outcome in outcomes if outcome.result == "created"]
    if new:
        orders_process(order_ids=new, actor=Actor.system("decisions"))
    return [outcome.order_id for outcome in outcomes]


def _order(shop: Shop, example, skus: dict[str, Sku], now) -> NormalizedOrder:
    suffix, receiver, lines, minutes = example
    paid_at = now - timedelta(minutes=minutes)
    order_lines = tuple(
        NormalizedLine(
            platform_sku_id="",
            outer_sku_code=code,
            title=skus[code].name if code in skus else code,
            quantity=quantity,
            unit_price=Decimal(price),
            paid_amount=Decimal(price) * quantity,
        )
        for code, quantity, price in lines
    )
    amount = sum((line.paid_amount for line in order_lines), Decimal("0"))
    return NormalizedOrder(
        platform=shop.platform,
        platform_order_id=f"{PREFIX}{suffix}",
        status="paid",
        raw_status="WAIT_SELLER_SEND_GOODS",
        currency="CNY",
        goods_amount=amount,
        shipping_fee=Decimal("0"),
        discount=Decimal("0"),
        paid_amount=amount,
        created_at=paid_at - timedelta(minutes=2),
        paid_at=paid_at,
        updated_at=paid_at,
        buyer_id=f"demo-buyer-{receiver[1]}",
        receiver=NormalizedReceiver(*receiver),
        lines=order_lines,
    )
