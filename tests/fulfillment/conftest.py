"""Builders for fulfillment tests: warehouses, stock rows, paid orders whose lines map to our SKUs."""

import itertools

import pytest
from django.conf import settings
from django.utils import translation

from fulfillment.models import Stock, Warehouse
from fulfillment.services.stock import AllocationRequest
from orderhub.models import Order, OrderLineSku, Shop, Sku
from tests.factories import line, make_order, make_shop

_ids = itertools.count(1)


def make_warehouse(code: str | None = None, *, priority: int = 100, **fields) -> Warehouse:
    n = next(_ids)
    defaults = {"name": f"Warehouse {n}", "province": "江苏省", "city": "苏州市"}
    return Warehouse.objects.create(code=code or f"wh-{n}", priority=priority, **(defaults | fields))


def make_stock(warehouse: Warehouse, sku: Sku, on_hand: int = 0, allocated: int = 0, **fields) -> Stock:
    """A stock row as it stands (test data); the code under test changes it only through services."""
    return Stock.objects.create(warehouse=warehouse, sku=sku, on_hand=on_hand, allocated=allocated, **fields)


def make_paid_order(*items: tuple[Sku, int], shop: Shop | None = None, order_id: str | None = None) -> Order:
    """A paid order through the real upsert, one line per (SKU, quantity), mapped by the SKU's code."""
    lines = [line(outer=sku.code, quantity=quantity) for sku, quantity in items]
    return make_order(shop or make_shop(), order_id or f"F{next(_ids):06d}", lines=lines)


def requests_for(order: Order, warehouse: Warehouse) -> list[AllocationRequest]:
    """Every mapped SKU of the order, all from one warehouse."""
    return [
        AllocationRequest(item.line_id, item.sku_id, warehouse.pk, item.quantity)
        for item in OrderLineSku.objects.filter(line__order=order).order_by("line_id", "sku_id")
    ]


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in their English source; the console itself defaults to Chinese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
