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

from channels_sync.sandbox.core import FakeOrder, SandboxState
from channels_sync.sandbox.demo import DEMO_SHOP_IDS, demo_shop
from channels_sync.sandbox.generator import advance_order, generate_order
from orderhub import roles
from orderhub.demo.catalogue import CATALOGUE
from orderhub.events import Actor
from orderhub.models import Order, Platform, Shop, Sku
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver
from orderhub.services.catalog import sku_save
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
        created = sum(self._orders(shop) for shop in shops)
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
        created = 0
        minute = 0
        for final_status, count in STATUS_MIX.items():
            for _ in range(count):
                minute += 7
                now = ANCHOR + timedelta(minutes=minute)
                order = generate_order(
                    state,
                    sandbox_shop,
                    status="pending_payment",
                    now=now,
                    currency=CURRENCIES.get(shop.platform, "CNY"),
                )
                for step, status in enumerate(PATHS[final_status], start=1):
                    advance_order(state, order, status, now=now + timedelta(minutes=10 * step))
                outcome = order_upsert(
                    shop=shop, incoming=normalized(order), actor=actor, raw_payload={"demo": True}
                )
                created += outcome.result == "created"
        created += self._unmapped_order(shop, state, sandbox_shop, actor)
        return created

    def _unmapped_order(self, shop, state, sandbox_shop, actor) -> int:
        """One paid order per shop whose platform SKU nobody mapped yet: the level-3 hold of the demo."""
        order = generate_order(state, sandbox_shop, status="paid", now=ANCHOR.replace(hour=22))
        order.lines[0].sku_code = f"NEW-{shop.platform.upper()}-2026"
        order.lines[0].title = "新品试吃装(未建档)"
        if Order.objects.filter(shop=shop, platform_order_id=order.order_id).exists():
            return 0
        order_upsert(shop=shop, incoming=normalized(order), actor=actor, raw_payload={"demo": True})
        return 1


def normalized(order: FakeOrder) -> NormalizedOrder:
    return NormalizedOrder(
        platform=order.platform,
        platform_order_id=order.order_id,
        status=order.status,
        raw_status=order.status,
        currency=order.currency,
        goods_amount=order.goods_amount,
        shipping_fee=order.shipping_fee,
        discount=order.discount,
        paid_amount=order.paid_amount,
        created_at=order.created_at,
        paid_at=order.paid_at,
        updated_at=order.updated_at,
        buyer_id=order.buyer_id,
        buyer_remark=order.buyer_remark,
        seller_remark=order.seller_remark,
        receiver=NormalizedReceiver(
            order.receiver_name,
            order.receiver_phone,
            order.province,
            order.city,
            order.district,
            order.detail,
        ),
        lines=tuple(
            NormalizedLine(
                line.platform_sku_id,
                line.sku_code,
                line.title,
                line.quantity,
                line.unit_price,
                line.paid_amount,
                line.line_id,
            )
            for line in order.lines
        ),
    )
