"""python manage.py export_reconciliation --shop CODE --month 2026-10 [--format xlsx|csv] [--output PATH]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from orderhub.models import Shop
from refunds.reconciliation import (
    Period,
    export_filename,
    reconciliation_count,
    reconciliation_rows,
    write_csv,
    write_xlsx,
)


class Command(BaseCommand):
    help = "Exports a shop's reconciliation for a month (per order: paid, refunded, net; daily totals)."

    def add_arguments(self, parser):
        parser.add_argument("--shop", required=True, help="shop code")
        parser.add_argument("--month", required=True, help="e.g. 2026-10 (Beijing time)")
        parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
        parser.add_argument(
            "--output", help="file to write (default: reconciliation-<shop>-<month>.<format>)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, shop, month, format, output, no_progress, **options):
        try:
            shop_row = Shop.objects.get(code=shop)
        except Shop.DoesNotExist:
            raise CommandError(f"no shop with code {shop!r}") from None
        try:
            period = Period.month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        path = Path(output or export_filename(shop_row, period, format))
        total = reconciliation_count(shop_row, period)
        with tqdm(
            total=total, unit="order", desc=f"{shop} {month}", disable=no_progress, file=self.stderr
        ) as bar:
            rows = reconciliation_rows(shop_row, period, progress=bar.update)
            if format == "csv":
                with path.open("w", encoding="utf-8", newline="") as stream:
                    write_csv(rows, stream)
            else:
                write_xlsx(rows, path, title=month)
        self.stdout.write(f"{total} orders of {shop} in {month} written to {path}")
