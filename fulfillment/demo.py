"""Demo rule data: three warehouses, four carriers, East/South China routing, the remote-region EMS
rule, loyal buyers upgraded to SF, and the water-fountain gift. Called by seed_demo; safe to run again
(rows matched by code or name)."""

from decimal import Decimal

from django.db import transaction

from fulfillment.models import (
    Carrier,
    CarrierRule,
    CarrierRuleKind,
    GiftRule,
    RoutingRule,
    RoutingRuleWarehouse,
    Warehouse,
)
from fulfillment.rules.regions import REMOTE_PROVINCES
from orderhub.demo.catalogue import CATALOGUE
from orderhub.models import Sku
from orderhub.services.catalog import sku_save

CARRIERS = {"SF": "顺丰速运", "YTO": "圆通速递", "ZTO": "中通快递", "EMS": "中国邮政 EMS"}
EAST_CHINA = ["上海市", "江苏省", "浙江省", "安徽省"]
SOUTH_CHINA = ["广东省", "广西壮族自治区", "海南省", "福建省"]
WAREHOUSES = [
    # code, name, province, city, district, regions served without a rule (empty: nationwide),
    # priority, default carrier
    ("SZ", "苏州仓", "江苏省", "苏州市", "吴中区", EAST_CHINA, 10, "ZTO"),
    ("HF", "合肥仓", "安徽省", "合肥市", "蜀山区", [], 20, "YTO"),
    ("GZ", "广州仓", "广东省", "广州市", "白云区", SOUTH_CHINA, 30, "ZTO"),
]
ROUTES = [
    # name, provinces, priority, [(warehouse code, promised days)] in rank order
    ("华东 East China", EAST_CHINA, 10, [("SZ", 1), ("HF", 2)]),
    ("华南 South China", SOUTH_CHINA, 20, [("GZ", 1), ("HF", 3)]),
]
GIFT_TRIGGER, GIFT_SKU = "ZP-2026-01", "FP-001"


@transaction.atomic
def seed_fulfillment_demo() -> dict[str, int]:
    carriers = {
        code: Carrier.objects.update_or_create(code=code, defaults={"name": name, "active": True})[0]
        for code, name in CARRIERS.items()
    }
    warehouses = {}
    for code, name, province, city, district, regions, priority, carrier in WAREHOUSES:
        warehouses[code], _ = Warehouse.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "province": province,
                "city": city,
                "district": district,
                "regions": regions,
                "priority": priority,
                "default_carrier": carriers[carrier],
                "active": True,
            },
        )
    for name, provinces, priority, entries in ROUTES:
        rule, _ = RoutingRule.objects.update_or_create(
            name=name, defaults={"provinces": provinces, "priority": priority, "active": True}
        )
        for rank, (code, days) in enumerate(entries, start=1):
            RoutingRuleWarehouse.objects.update_or_create(
                rule=rule, warehouse=warehouses[code], defaults={"rank": rank, "delivery_days": days}
            )
        rule.warehouses.exclude(warehouse__code__in=[code for code, _ in entries]).delete()
    CarrierRule.objects.update_or_create(
        name="偏远地区走 EMS",
        defaults={
            "kind": CarrierRuleKind.REGION,
            "carrier": carriers["EMS"],
            "provinces": list(REMOTE_PROVINCES),
            "surcharge": Decimal("8.00"),
            "priority": 10,
            "active": True,
        },
    )
    CarrierRule.objects.update_or_create(
        name="老客户升级顺丰",
        defaults={
            "kind": CarrierRuleKind.BUYER_TAG,
            "carrier": carriers["SF"],
            "buyer_tags": ["loyal"],
            "surcharge": Decimal("0.00"),
            "priority": 10,
            "active": True,
        },
    )
    skus = _skus(GIFT_TRIGGER, GIFT_SKU)
    gift, _ = GiftRule.objects.update_or_create(
        name="智能饮水机满 299 送滤芯",
        defaults={
            "min_paid_amount": Decimal("299.00"),
            "gift_sku": skus[GIFT_SKU],
            "gift_quantity": 1,
            "label_note": "赠品:智能饮水机滤芯×1",
            "label_position": "remark",
            "priority": 10,
            "active": True,
        },
    )
    gift.trigger_skus.set([skus[GIFT_TRIGGER]])
    gift.shops.clear()  # every shop
    return {"carriers": len(carriers), "warehouses": len(warehouses), "routes": len(ROUTES)}


def _skus(*codes: str) -> dict[str, Sku]:
    """The demo SKUs by code, created from the demo catalogue when seed_demo has not made them yet."""
    found = {sku.code: sku for sku in Sku.objects.filter(code__in=codes)}
    for item in CATALOGUE:
        if item["code"] in codes and item["code"] not in found:
            found[item["code"]] = sku_save(**item)
    return found
