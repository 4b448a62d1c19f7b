"""python manage.py bench_pick --orders 500: wave creation and pick-list PDF time over allocated orders."""

from django.core.management.base import BaseCommand, CommandError

from fulfillment.services.bench import BenchError
from fulfillment.services.bench_pick import (
    bench_pick_data,
    bench_pick_delete,
    bench_pick_report,
    bench_pick_run,
)


class Command(BaseCommand):
    help = (
        "Creates allocated bench orders (a temporary dataset, removed afterwards), times creating waves "
        "from them and printing their pick lists as PDF; the last line is JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=500, help="allocated orders to wave and print")
        parser.add_argument("--keep", action="store_true", help="keep the bench orders, waves and stock")

    def handle(self, *args, **options):
        if not 1 <= options["orders"] <= 4000:
            raise CommandError("--orders must be between 1 and 4000 (two waves of at most 2000)")
        bench_pick_delete()  # leftovers of an interrupted run
        try:
            self.stdout.write(f"creating and allocating {options['orders']} bench orders ...")
            bench_pick_data(options["orders"])
            figures = bench_pick_run(options["orders"])
        except BenchError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if not options["keep"]:
                bench_pick_delete()
        for line in bench_pick_report(figures):
            self.stdout.write(line)
