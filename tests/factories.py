"""Builders for tests: shops, SKUs, users with roles, and orders through the real upsert service."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from orderhub.events import Actor
from orderhub.models import Order, Shop, Sku
from orderhub.normalized import NormalizedLine, NormalizedOrder, NormalizedReceiver
from orderhub.services.upsert import order_upsert

_ids = itertools.count(1)
T0 = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def make_shop(platform: str = "taobao", code: str | None = None, **fields) -> Shop:
    n = next(_ids)
    return Shop.objects.create(
        platform=platform, code=code or f"shop-{n}", name=f"Shop {n}", platform_shop_id=f"P{n}", **fields
    )


def make_sku(code: str | None = None, **fields) -> Sku:
    n = next(_ids)
    defaults = {"name": f"SKU {n}", "barcode": f"690000000{n:04d}", "price": Decimal("10.00")}
    return Sku.objects.create(code=code or f"SKU-{n}", **(defaults | fields))


def make_user(username: str, *, groups=(), permissions=(), superuser=False):
    user = get_user_model().objects.create_user(
        username, password="pw-for-tests-1", is_staff=True, is_superuser=superuser
    )
    user.groups.set(Group.objects.filter(name__in=groups))
    for code in permissions:
        app_label, codename = code.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def line(
    outer: str = "SKU-A", quantity: int = 1, price: str = "50.00", platform_sku_id: str = ""
) -> NormalizedLine:
    amount = Decimal(price) * quantity
    return NormalizedLine(
        platform_sku_id=platform_sku_id,
        outer_sku_code=outer,
        title=f"item {outer}",
        quantity=quantity,
        unit_price=Decimal(price),
        paid_amount=amount,
    )


def normalized(
    order_id: str = "1001",
    *,
    status: str = "paid",
    updated_minutes: int = 0,
    lines=None,
    phone: str = "13812341234",
    name: str = "张三",
    paid: str | None = None,
    **fields,
) -> NormalizedOrder:
    lines = tuple(lines or (line(),))
    goods = sum((item.paid_amount for item in lines), Decimal("0"))
    values = dict(
        platform="taobao",
        platform_order_id=order_id,
        status=status,
        raw_status=status.upper(),
        currency="CNY",
        goods_amount=goods,
        shipping_fee=Decimal("0.00"),
        discount=Decimal("0.00"),
        paid_amount=Decimal(paid) if paid else goods,
        created_at=T0,
        paid_at=T0 if status != "pending_payment" else None,
        updated_at=T0 + timedelta(minutes=updated_minutes),
        buyer_id="buyer-1",
        receiver=NormalizedReceiver(name, phone, "浙江省", "杭州市", "西湖区", "文三路 90 号 502 室"),
        lines=lines,
    )
    return NormalizedOrder(**(values | fields))


def upsert(shop: Shop, incoming: NormalizedOrder, raw: dict | None = None):
    return order_upsert(
        shop=shop,
        incoming=incoming,
        actor=Actor.channel("test"),
        raw_payload=raw or {"tid": incoming.platform_order_id},
    )


def make_order(shop: Shop | None = None, order_id: str | None = None, **kwargs) -> Order:
    shop = shop or make_shop()
    outcome = upsert(shop, normalized(order_id or str(next(_ids) + 5000), **kwargs))
    return Order.objects.get(pk=outcome.order_id)
