"""python manage.py bench_allocate --orders 2000 --workers 2: paid → allocated throughput and latency."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from fulfillment.services.bench import (
    BenchError,
    bench_data_create,
    bench_data_delete,
    bench_report,
    bench_run,
)

# Orders per transaction by default, as the worker decides them when a bulk ingest announces many paid
# orders at once. One transaction per order costs a dozen round trips and caps two workers far below
# the target; larger batches raise throughput and latency together.
BATCH_SIZE = 20


class Command(BaseCommand):
    help = (
        "Creates paid bench orders, decides them with worker processes through the real decision path "
        "(holds, gift, warehouse, carrier, allocation) and prints orders/s and latency percentiles; "
        "the last line is JSON. Meant for PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=2000, help="paid orders to allocate")
        parser.add_argument("--workers", type=int, default=2, help="worker processes deciding at once")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help="orders allocated per transaction (1: one transaction per order)",
        )
        parser.add_argument("--keep", action="store_true", help="keep the bench orders and stock")
        parser.add_argument("--allow-sqlite", action="store_true", help="run on SQLite anyway")

    def handle(self, *args, **options):
        for name in ("orders", "workers", "batch_size"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")
        if connection.vendor != "postgresql" and not options["allow_sqlite"]:
            raise CommandError(
                f"bench_allocate measures PostgreSQL row locks (set DATABASE_URL=postgres://...); this "
                f"database is {connection.vendor}. Pass --allow-sqlite to run it here anyway."
            )
        try:
            self.stdout.write(f"creating {options['orders']} paid bench orders ...")
            # One untimed warm-up batch per worker, on orders of their own.
            warm_up = options["workers"] * options["batch_size"]
            order_ids = bench_data_create(options["orders"] + warm_up)
            figures = bench_run(
                order_ids[warm_up:],
                workers=options["workers"],
                batch_size=options["batch_size"],
                warm_up_ids=order_ids[:warm_up],
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if not options["keep"]:
                bench_data_delete()
        for line in bench_report(figures):
            self.stdout.write(line)
