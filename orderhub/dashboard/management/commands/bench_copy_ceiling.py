"""python manage.py bench_copy_ceiling --orders 20000: the physical ceiling of ingestion on this machine.

The same rows ingestion writes (orders as received from the sandbox's pushes, encrypted receiver and
payload, and their lines), prepared in memory first, then written with raw PostgreSQL COPY into
temporary tables shaped like the real ones (indexes and constraints included). Only the COPY is timed.
Compare its orders/s with `bench_ingest`'s sustained figure: the ratio is how close the pipeline is
to the ceiling. The last line is JSON.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from channels_sync.platforms.registry import PLATFORM_NAMES, get_adapter
from channels_sync.sandbox.core import SandboxShop, SandboxState
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.server import platform_module
from orderhub.bulk import copy_rows, copy_values
from orderhub.models import Order, OrderLine, Shop
from orderhub.services.upsert import _amounts, _line, _scalar_fields

CURRENCIES = {"shopee": "SGD", "lazada": "SGD", "shopify": "USD"}


class Command(BaseCommand):
    help = "Raw PostgreSQL COPY rate of the rows ingestion writes (orders, lines). Last line JSON."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000)
        parser.add_argument("--platform", default="shopify")
        parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")

    def handle(self, *args, orders, platform, repeat, **options):
        if connection.vendor != "postgresql":
            raise CommandError(f"COPY is PostgreSQL's; this database is {connection.vendor}")
        if orders < 1 or repeat < 1:
            raise CommandError("--orders and --repeat must be at least 1")
        if platform not in PLATFORM_NAMES:
            raise CommandError(f"unknown platform {platform!r}; known: {', '.join(PLATFORM_NAMES)}")
        started = time.perf_counter()
        order_rows, line_rows, columns = self._prepare(orders, platform)
        prepare_seconds = time.perf_counter() - started
        best = None
        for _ in range(repeat):
            seconds = self._copy_once(order_rows, line_rows, columns)
            best = seconds if best is None else min(best, seconds)
        figures = {
            "orders": orders,
            "lines": len(line_rows),
            "platform": platform,
            "copy_seconds": round(best, 3),
            "copy_orders_per_s": round(orders / best, 1),
            "copy_rows_per_s": round((orders + len(line_rows)) / best, 1),
            "prepare_seconds": round(prepare_seconds, 2),
            "runs": repeat,
            "database": connection.vendor,
        }
        self.stdout.write(
            f"bench_copy_ceiling: {orders} {platform} orders with {len(line_rows)} lines, prepared in "
            f"{prepare_seconds:.1f} s (not timed)"
        )
        self.stdout.write(
            f"COPY into tables shaped like orderhub_order / orderhub_orderline (indexes included), "
            f"best of {repeat}: {figures['copy_orders_per_s']:.0f} orders/s "
            f"({figures['copy_rows_per_s']:.0f} rows/s, {best:.2f} s)"
        )
        self.stdout.write(
            "compare with bench_ingest's sustained orders/s: their ratio is the distance to the ceiling"
        )
        self.stdout.write(json.dumps(figures, sort_keys=True))

    def _prepare(self, count: int, platform: str):
        module, adapter = platform_module(platform), get_adapter(platform)
        sandbox = SandboxShop(platform, "990000017", "copy-key", secrets.token_hex(8), secrets.token_hex(8))
        state = SandboxState(rng=random.Random(secrets.randbits(64)))
        state.add_shop(sandbox)
        shop = Shop(pk=0, platform=platform, code="copy-ceiling", name="copy ceiling", platform_shop_id="0")
        now = datetime.now(tz=UTC)
        orders, lines = [], []
        for n in range(1, count + 1):
            raw = module.render_order(
                generate_order(
                    state, sandbox, status="paid", now=now, currency=CURRENCIES.get(platform, "CNY")
                )
            )
            incoming = adapter.normalize(raw)
            order = Order(
                pk=n,
                shop=shop,
                platform_order_id=incoming.platform_order_id,
                status=incoming.status,
                raw_payload=raw,
                created_at=now,
                updated_at=now,
                **_scalar_fields(incoming),
                **_amounts(incoming),
            )
            orders.append(order)
            for line in incoming.lines:
                row = _line(order, line)
                row.pk = len(lines) + 1
                lines.append(row)
        columns = {}
        columns["order"], order_rows = copy_values(connection, Order, orders)
        columns["line"], line_rows = copy_values(connection, OrderLine, lines)
        return order_rows, line_rows, columns

    def _copy_once(self, order_rows, line_rows, columns) -> float:
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            for name, table in (("order", Order._meta.db_table), ("line", OrderLine._meta.db_table)):
                raw.execute(
                    f"CREATE TEMP TABLE bench_copy_{name} (LIKE {table} INCLUDING ALL) ON COMMIT DROP"
                )
            started = time.perf_counter()
            copy_rows(connection, "bench_copy_order", columns["order"], order_rows)
            copy_rows(connection, "bench_copy_line", columns["line"], line_rows)
            seconds = time.perf_counter() - started
        return seconds
