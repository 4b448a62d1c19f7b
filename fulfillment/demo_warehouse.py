"""Demo warehouse day (called by seed_demo): a wave with its pick list, one order packed at the station,
and shipped orders with waybills, written back and tracked (one delivered). Runs once: a second call
finds the demo wave and changes nothing. The e-waybill, ship and tracking calls go to an in-process
sandbox, so no server needs to be running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.logistics import set_traces
from channels_sync.sandbox.server import RunningSandbox
from fulfillment.exceptions import WarehouseRefused
from fulfillment.models import Warehouse
from fulfillment.models_warehouse import Wave
from fulfillment.selectors_warehouse import WaveFilters, pack_expected
from fulfillment.services.decide import orders_process
from fulfillment.services.packing import pack_scan
from fulfillment.services.shipping import order_ship, ship_writebacks_due
from fulfillment.services.tracking import tracking_poll
from fulfillment.services.waves import wave_create, wave_picked
from fulfillment.services.waybills import waybill_issue
from orderhub.events import Actor
from orderhub.models import Order, OrderLine, Sku

DEMO_WAREHOUSE = "SZ"
WAVE_SIZE = 12
SHIPPED = 3


class _ToSandbox(httpx.HTTPTransport):
    """Sends every request meant for the configured sandbox URL to the in-process one instead."""

    def __init__(self, url: str):
        super().__init__()
        self.target = httpx.URL(url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(host=self.target.host, port=self.target.port)
        return super().handle_request(request)


def seed_warehouse_demo(stdout=None) -> str:
    say = stdout.write if stdout else (lambda text: None)
    message = _seed()
    say(message + "\n")
    return message


def _seed() -> str:
    if not settings.ORDERHUB_SANDBOX:
        return "warehouse demo skipped: ORDERHUB_SANDBOX is off"
    if Wave.objects.filter(filters__demo=True).exists():
        return "warehouse demo already there"
    warehouse = Warehouse.objects.filter(code=DEMO_WAREHOUSE).first()
    if warehouse is None:
        return "warehouse demo skipped: no demo warehouse"
    # The demo's paid orders are decided by the worker; decide those still waiting now (the same path).
    undecided = Order.objects.filter(status="paid", fulfillment__isnull=True).values_list("pk", flat=True)
    orders_process(order_ids=list(undecided), actor=Actor.system("demo"))
    packer = get_user_model().objects.filter(username="cangku").first()
    actor = Actor.of_user(packer) if packer else Actor.system("demo")
    try:
        wave = wave_create(filters=WaveFilters(warehouse_id=warehouse.pk, limit=WAVE_SIZE), actor=actor)
    except WarehouseRefused:
        return "warehouse demo skipped: no allocated orders in the demo warehouse"
    Wave.objects.filter(pk=wave.pk).update(filters={**wave.filters, "demo": True})
    order_ids = list(wave.wave_orders.order_by("position").values_list("order_id", flat=True))
    with_gift = set(
        OrderLine.objects.filter(order_id__in=order_ids, is_gift=True).values_list("order_id", flat=True)
    )
    order_ids.sort(key=lambda order_id: order_id not in with_gift)  # show a gift note on a shipped label
    wave_picked(wave_id=wave.pk, actor=actor)
    with (
        RunningSandbox(demo_state()) as sandbox,
        httpx.Client(transport=_ToSandbox(sandbox.url), timeout=15) as http,
    ):
        shipped = []
        for order_id in order_ids[: SHIPPED + 1]:
            if not _pack(order_id, packer):
                continue
            if len(shipped) == SHIPPED:
                break  # this one stays packed, waiting at the dock
            order = Order.objects.select_related("shop").get(pk=order_id)
            _known_to_sandbox(sandbox, order)
            waybill = waybill_issue(order_id=order_id, actor=actor, http=http)
            order_ship(order_id=order_id, actor=actor)
            shipped.append(waybill)
        ship_writebacks_due(now=timezone.now() + timedelta(minutes=1), http=http)
        # The platform took the tracking number now (the sandbox order was modified): its older demo
        # payloads, replayed by a later seed_demo run, are stale and leave these orders alone.
        Order.objects.filter(waybills__in=shipped).update(platform_updated_at=timezone.now())
        now = datetime.now(UTC)
        for n, waybill in enumerate(shipped):
            traces = [(now - timedelta(minutes=5), "【苏州市】快件已被揽收")]
            if n == 0:
                traces.append((now - timedelta(minutes=1), "【杭州市】已签收，签收人：本人"))
            set_traces(sandbox.state, waybill.number, "3" if n == 0 else "1", traces)
        tracking_poll(http=http)
    return f"warehouse demo: wave {wave.code} ({len(order_ids)} orders), {len(shipped)} shipped with tracking"


def _pack(order_id: int, packer) -> bool:
    """Scans the order and each of its units at the pack station, as a packer would."""
    if packer is None:
        return False
    opened = pack_scan(barcode=Order.objects.get(pk=order_id).platform_order_id, user=packer)
    if opened.refused or opened.order is None:
        return False
    outcome = opened
    for row in pack_expected(order_id):
        barcode = Sku.objects.get(pk=row.sku_id).barcode or row.sku_code
        for _ in range(row.quantity):
            outcome = pack_scan(barcode=barcode, user=packer, order_id=order_id)
    return outcome.packed


def _known_to_sandbox(sandbox: RunningSandbox, order: Order) -> None:
    """The in-process sandbox learns the order, so the platform accepts its tracking number."""
    fake = generate_order(sandbox.state, demo_shop(order.shop.platform), now=datetime.now(UTC))
    orders = sandbox.state.orders[(fake.platform, fake.shop_id)]
    orders.pop(fake.order_id)
    fake.order_id = order.platform_order_id
    fake.lines = [
        type(line)(
            line_id,
            line.sku_code,
            line.platform_sku_id,
            line.title,
            line.quantity,
            line.unit_price,
            line.paid_amount,
        )
        for line_id, line in zip(
            order.lines.exclude(platform_line_id="").values_list("platform_line_id", flat=True),
            fake.lines,
            strict=False,
        )
    ] or fake.lines
    orders[fake.order_id] = fake
