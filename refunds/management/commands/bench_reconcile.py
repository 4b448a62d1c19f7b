"""python manage.py bench_reconcile --orders 100000: a month of orders (with refunds, gifts and merged
orders) generated in bulk, then both exports timed with the process's peak resident memory. Prints a
summary, then the figures as one JSON object on the last line."""

import json
import resource
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from refunds.bench import bench_data_create, bench_data_drop
from refunds.reconciliation import Period, reconciliation_count, reconciliation_rows, write_csv, write_xlsx


class Command(BaseCommand):
    help = "Times the reconciliation export of one month (.csv and .xlsx) and reports peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100_000)
        parser.add_argument("--month", default="2026-10")
        parser.add_argument("--keep", action="store_true", help="keep the generated shop and orders")

    def handle(self, *args, orders, month, keep, **options):
        period = Period.month(month)
        started = time.perf_counter()
        shop = bench_data_create(orders=orders, period=period)
        generated = time.perf_counter() - started
        figures = {
            "orders": reconciliation_count(shop, period),
            "generate_s": round(generated, 1),
            # Peak RSS already reached while generating the data set: the exports' own peak is compared to it.
            "rss_before_export_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        try:
            with tempfile.TemporaryDirectory() as folder:
                for kind, writer in (("csv", write_csv), ("xlsx", write_xlsx)):
                    path = Path(folder) / f"bench.{kind}"
                    begin = time.perf_counter()
                    if kind == "csv":
                        with path.open("w", encoding="utf-8", newline="") as stream:
                            writer(reconciliation_rows(shop, period), stream)
                    else:
                        writer(reconciliation_rows(shop, period), path)
                    seconds = time.perf_counter() - begin
                    # Peak resident memory of this process so far (KiB on Linux): rows stream, so it stays
                    # flat whatever the month's size. tracemalloc would slow the export down threefold.
                    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                    figures |= {
                        f"{kind}_s": round(seconds, 2),
                        f"{kind}_peak_mb": round(peak / 2**20, 1),
                        f"{kind}_mb": round(path.stat().st_size / 2**20, 1),
                        f"{kind}_orders_per_s": round(figures["orders"] / seconds) if seconds else None,
                    }
        finally:
            if not keep:
                bench_data_drop(shop)
        slowest = max(figures["csv_s"], figures["xlsx_s"])
        met = slowest < 60 * figures["orders"] / 100_000
        self.stdout.write(
            f"reconciliation of {figures['orders']} orders ({month}); "
            f"data generated in {figures['generate_s']} s "
            f"(peak RSS so far {figures['rss_before_export_mb']} MB)\n"
            f"  csv : {figures['csv_s']} s ({figures['csv_orders_per_s']} orders/s), "
            f"peak RSS {figures['csv_peak_mb']} MB, file {figures['csv_mb']} MB\n"
            f"  xlsx: {figures['xlsx_s']} s ({figures['xlsx_orders_per_s']} orders/s), "
            f"peak RSS {figures['xlsx_peak_mb']} MB, file {figures['xlsx_mb']} MB\n"
            f"  target: a 100,000-order month in under 60 s per format: "
            f"{'met' if met else 'NOT met'}"
        )
        self.stdout.write(json.dumps(figures))
