"""Demo data: eight shops wired to the platform sandbox, the pet-food catalogue, staff, orders.

Idempotent: shops, SKUs and users are matched by code / username, and the orders come from a seeded
generator with fixed times, so a second run changes nothing.
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from channels_sync.platforms.registry import get_adapter
from channels_sync.sandbox.core import FakeOrder, SandboxState
from channels_sync.sandbox.demo import DEMO_SHOP_IDS, demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from channels_sync.sandbox.server import platform_module
from fulfillment.demo import seed_fulfillment_demo
from fulfillment.models import Stock, Warehouse
from fulfillment.services.stock import StockLevelRow, stock_set_levels
from orderhub import roles
from orderhub.demo.catalogue import CATALOGUE
from orderhub.events import Actor
from orderhub.models import Platform, Shop, Sku
from orderhub.services.catalog import MappingItem, sku_mapping_save, sku_save
from orderhub.services.upsert import order_upsert

DEMO_PASSWORD = "orderhub-demo"  # noqa: S105 - printed by `make run` on purpose
DEMO_USERS = [
    # username, name, groups, extra permissions, superuser
    ("admin", "系统管理员", [roles.ADMINISTRATOR], [], True),
    ("kefu", "客服小王", [roles.CUSTOMER_SERVICE], [], False),
    ("kefu_lead", "客服主管李娜", [roles.CUSTOMER_SERVICE], ["orderhub.view_personal_data"], False),
    ("cangku", "仓库组长张强", [roles.WAREHOUSE], [], False),
    ("caiwu", "财务陈静", [roles.FINANCE], [], False),
]
SHOP_NAMES = {
    "taobao": "萌宠粮仓天猫旗舰店",
    "jd": "萌宠粮仓京东自营旗舰店",
    "pdd": "萌宠粮仓拼多多官方店",
    "douyin": "萌宠粮仓抖音小店",
    "youzan": "萌宠粮仓有赞商城",
    "shopee": "MengChong Pet Food Shopee SG",
    "lazada": "MengChong Pet Food Lazada SG",
    "shopify": "MengChong Pet Food Global",
}
CURRENCIES = {"shopee": "SGD", "lazada": "SGD", "shopify": "USD"}
ANCHOR = datetime(2026, 11, 11, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# How many demo orders per shop end in each status.
STATUS_MIX = {"pending_payment": 2, "paid": 6, "shipped": 3, "completed": 3, "cancelled": 1}
PAID_ONLY = {"jd", "pdd"}
PATHS = {
    "pending_payment": [],
    "paid": ["paid"],
    "shipped": ["paid", "shipped"],
    "completed": ["paid", "shipped", "completed"],
    "cancelled": ["cancelled"],
}


class Command(BaseCommand):
    help = "Creates (or refreshes) the demo shops, catalogue, staff and orders. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            skus = self._catalogue()
            shops = self._shops()
            self._users()
            self._bundle(shops[0])
            seed_fulfillment_demo()
            self._stock(skus)
        created = sum(self._orders(shop) for shop in shops)
        __import__("fulfillment.demo_decisions").demo_decisions.seed_decision_examples(shops[0])
        __import__("refunds.demo").demo.seed_refunds_demo()  # a few refunds in different states
        __import__("fulfillment.demo_warehouse").demo_warehouse.seed_warehouse_demo(self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready: {len(shops)} shops, {len(skus)} SKUs, {len(DEMO_USERS)} users, "
                f"{created} new orders"
            )
        )

    def _catalogue(self) -> list[Sku]:
        existing = {sku.code: sku for sku in Sku.objects.all()}
        return [sku_save(sku=existing.get(item["code"]), **item) for item in CATALOGUE]

    def _shops(self) -> list[Shop]:
        shops = []
        for platform, shop_id in DEMO_SHOP_IDS.items():
            sandbox_shop = demo_shop(platform)
            shop, _ = Shop.objects.update_or_create(
                code=f"demo-{platform}",
                defaults={
                    "platform": Platform(platform),
                    "name": SHOP_NAMES[platform],
                    "platform_shop_id": shop_id,
                    "credentials": {
                        "app_key": sandbox_shop.app_key,
                        "app_secret": sandbox_shop.app_secret,
                        "access_token": sandbox_shop.access_token,
                    },
                    "api_base_url": f"{settings.ORDERHUB_SANDBOX_URL}/{platform}"
                    if settings.ORDERHUB_SANDBOX
                    else "",
                },
            )
            shops.append(shop)
        return shops

    def _stock(self, skus: list[Sku]) -> None:
        """Opening stock, set once (later runs leave live stock alone). Suzhou runs short of the 5 kg cat
        food, below its safety threshold, so East China orders for it route to Hefei."""
        if Stock.objects.exists():
            return
        levels = {"SZ": 200, "HF": 120, "GZ": 80}
        rows = []
        for warehouse in Warehouse.objects.filter(code__in=levels):
            for index, sku in enumerate(skus, start=1):
                short = warehouse.code == "SZ" and sku.code == "CAT-DRY-5K"
                rows.append(
                    StockLevelRow(
                        warehouse_id=warehouse.pk,
                        sku_id=sku.pk,
                        on_hand=12 if short else levels[warehouse.code],
                        safety_threshold=30 if short else 10,
                        bin_location=f"{warehouse.code}-A{index // 10 + 1}-{index:02d}",
                    )
                )
        stock_set_levels(rows, source="count", reason="opening stock (demo)")

    def _bundle(self, shop: Shop) -> None:
        """A gift box sold on Tmall that is six cans and a pack of treats in the warehouse."""
        skus = {sku.code: sku for sku in Sku.objects.filter(code__in=["CAT-WET-85", "CAT-STRIP-SAL"])}
        sku_mapping_save(
            shop=shop,
            outer_sku_code="GIFT-CAT-BOX",
            title="猫罐头礼盒(6罐+猫条)",
            items=[MappingItem(skus["CAT-WET-85"], 6), MappingItem(skus["CAT-STRIP-SAL"], 1)],
            actor=Actor.system("seed_demo"),
        )

    def _users(self) -> None:
        User = get_user_model()
        for username, name, groups, permissions, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": name, "is_staff": True, "is_superuser": superuser}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.set(Group.objects.filter(name__in=groups))
            user.user_permissions.set(
                Permission.objects.filter(codename__in=[p.split(".", 1)[1] for p in permissions])
            )

    def _orders(self, shop: Shop) -> int:
        state = SandboxState(rng=random.Random(f"demo-{shop.platform}"))
        sandbox_shop = state.add_shop(demo_shop(shop.platform))
        actor = Actor.channel(f"{shop.platform} demo")
        # JD and PDD never list unpaid orders, so theirs start out paid.
        first = "paid" if shop.platform in PAID_ONLY else "pending_payment"
        created = 0
        minute = 0
        for final_status, count in STATUS_MIX.items():
            for _ in range(count):
                minute += 7
                now = ANCHOR + timedelta(minutes=minute)
                currency = CURRENCIES.get(shop.platform, "CNY")
                order = generate_order(state, sandbox_shop, status=first, now=now, currency=currency)
                steps = [status for status in PATHS[final_status] if status != first]
                for step, status in enumerate(steps, start=1):
                    advance_order(state, order, status, now=now + timedelta(minutes=10 * step))
                created += self._upsert(shop, order, actor) == "created"
        created += self._unmapped_order(shop, state, sandbox_shop, actor)
        return created

    def _unmapped_order(self, shop, state, sandbox_shop, actor) -> int:
        """One paid order per shop whose platform SKU nobody mapped yet: the level-3 hold of the demo."""
        order = generate_order(state, sandbox_shop, status="paid", now=ANCHOR.replace(hour=22))
        order.lines[0].sku_code = f"NEW-{shop.platform.upper()}-2026"
        order.lines[0].title = "新品试吃装(未建档)"
        return int(self._upsert(shop, order, actor) == "created")

    def _upsert(self, shop: Shop, order: FakeOrder, actor: Actor) -> str:
        """Through the platform's own raw shape and adapter, so demo orders look exactly like synced ones."""
        raw = platform_module(shop.platform).render_order(order)
        incoming = get_adapter(shop.platform).normalize(raw)
        return order_upsert(shop=shop, incoming=incoming, actor=actor, raw_payload=raw).result
