"""python manage.py pull_orders --shop CODE [--since ...] [--until ...]: an operator's pull, with progress."""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from channels_sync.models import SyncKind
from channels_sync.platforms.util import BEIJING
from channels_sync.services.pull import shop_pull
from orderhub.models import Shop


def parse_moment(value: str) -> datetime:
    """ISO 8601 or a date; without an offset the time is read as Beijing time, as staff think of it."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"not a date or ISO 8601 time: {value!r} (e.g. 2026-11-11 or 2026-11-11T20:00+08:00)"
        ) from None
    if len(value) == 10:
        moment = datetime.combine(moment.date(), time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


class Command(BaseCommand):
    help = "Pulls one shop's orders modified in a window (default: since the last pull), with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--shop", required=True, help="shop code")
        parser.add_argument("--since", help="window start (default: the shop's cursor minus the overlap)")
        parser.add_argument("--until", help="window end (default: now, less the platform's lag)")

    def handle(self, *args, shop, since=None, until=None, **options):
        try:
            shop_row = Shop.objects.get(code=shop)
        except Shop.DoesNotExist:
            known = ", ".join(Shop.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"no shop {shop!r}; known shops: {known}") from None
        if shop_row.platform == "manual":
            raise CommandError(
                f"shop {shop} is an offline/independent channel: its orders are pushed, not pulled"
            )
        start = parse_moment(since) if since else None
        end = parse_moment(until) if until else None
        if start and end and start >= end:
            raise CommandError("--since must be before --until")
        if end and end > timezone.now():
            raise CommandError("--until is in the future")
        with tqdm(desc=f"pull {shop}", unit="page", disable=None) as bar:

            def on_page(run):
                bar.update(1)
                bar.set_postfix(
                    new=run.orders_new, updated=run.orders_updated, unchanged=run.orders_unchanged
                )

            run = shop_pull(shop=shop_row, kind=SyncKind.MANUAL, since=start, until=end, on_page=on_page)
        summary = (
            f"{shop}: window {run.window_start:%Y-%m-%d %H:%M} – {run.window_end:%Y-%m-%d %H:%M} UTC, "
            f"{run.pages} pages, {run.orders_new} new, {run.orders_updated} updated, "
            f"{run.orders_unchanged} unchanged, {run.errors} errors"
        )
        if not run.ok:
            raise CommandError(f"{summary}\npull failed: {run.error_message}")
        self.stdout.write(self.style.SUCCESS(summary))
