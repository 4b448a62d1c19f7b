"""The parts of `manage.py bench_pick`: allocated bench orders (the bench_allocate dataset, decided by
the real path), then waves created from them and their pick-list PDFs, each timed."""

from __future__ import annotations

import json
import re
import time

from django.db import connection

from fulfillment.exceptions import WarehouseRefused
from fulfillment.models import Warehouse
from fulfillment.models_warehouse import Wave
from fulfillment.pdf.picklist import pick_list_pdf
from fulfillment.selectors_warehouse import WaveFilters, pick_list
from fulfillment.services.bench import (
    BENCH_WAREHOUSES,
    BenchError,
    bench_data_create,
    bench_data_delete,
    decide_orders,
)
from fulfillment.services.waves import wave_create
from orderhub.events import Actor

ACTOR = Actor.system("bench_pick")
TARGET_PDF_SECONDS = 5.0  # "a 500-order wave prints in a few seconds"
DECIDE_BATCH = 100
PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def bench_pick_data(orders: int) -> list[int]:
    order_ids = bench_data_create(orders)
    allocated = sum(
        decide_orders(order_ids[i : i + DECIDE_BATCH]) for i in range(0, len(order_ids), DECIDE_BATCH)
    )
    if allocated != len(order_ids):
        raise BenchError(f"{len(order_ids) - allocated} bench orders were not allocated")
    return order_ids


def bench_pick_run(orders: int) -> dict:
    """Waves over every allocated bench order (one per bench warehouse), then each wave's pick list."""
    warehouses = list(Warehouse.objects.filter(code__in=BENCH_WAREHOUSES).order_by("code"))
    started = time.perf_counter()
    waves = []
    for warehouse in warehouses:
        try:
            waves.append(wave_create(filters=WaveFilters(warehouse_id=warehouse.pk, limit=2000), actor=ACTOR))
        except WarehouseRefused:  # the routing gave this warehouse no orders
            continue
    wave_seconds = time.perf_counter() - started
    waved = sum(wave.wave_orders.count() for wave in waves)
    if waved != orders:
        raise BenchError(f"{orders - waved} allocated bench orders were left out of the waves")
    pages = size = 0
    per_wave = []
    started = time.perf_counter()
    for wave in waves:
        one = time.perf_counter()
        pdf = pick_list_pdf(pick_list(wave))
        per_wave.append((wave.wave_orders.count(), time.perf_counter() - one))
        pages += len(PAGE.findall(pdf))
        size += len(pdf)
    pdf_seconds = time.perf_counter() - started
    largest_orders, largest_seconds = max(per_wave) if per_wave else (0, 0.0)
    return {
        "orders": orders,
        "waves": len(waves),
        "wave_create_s": round(wave_seconds, 3),
        "pick_list_pdf_s": round(pdf_seconds, 3),
        "largest_wave_orders": largest_orders,
        "largest_wave_pdf_s": round(largest_seconds, 3),
        "pdf_pages": pages,
        "pdf_kb": round(size / 1024, 1),
        "database": connection.vendor,
    }


def bench_pick_delete() -> None:
    Wave.objects.filter(warehouse__code__in=BENCH_WAREHOUSES).delete()
    bench_data_delete()


def bench_pick_report(figures: dict) -> list[str]:
    verdict = "within" if figures["pick_list_pdf_s"] <= TARGET_PDF_SECONDS else "OVER"
    return [
        f"orders waved        {figures['orders']} in {figures['waves']} wave(s) ({figures['database']})",
        f"wave creation       {figures['wave_create_s']:.3f} s",
        f"pick-list PDFs      {figures['pick_list_pdf_s']:.3f} s for {figures['pdf_pages']} pages, "
        f"{figures['pdf_kb']} KB ({verdict} the {TARGET_PDF_SECONDS:.0f} s target)",
        f"largest wave        {figures['largest_wave_orders']} orders, "
        f"PDF in {figures['largest_wave_pdf_s']:.3f} s",
        json.dumps(figures),
    ]
