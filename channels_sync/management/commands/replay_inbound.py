"""python manage.py replay_inbound: send dead letters (or chosen payloads) through processing again."""

from django.core.management.base import BaseCommand, CommandError

from channels_sync.management.commands.pull_orders import parse_moment
from channels_sync.models import InboundEvent, InboundStatus
from channels_sync.selectors import replayable_ids
from channels_sync.services.inbound import ProcessReport, inbound_replay
from orderhub.models import Platform, Shop

BATCH = 500
BAD_ARGUMENTS = 2  # as argparse exits on a usage error; 1 means payloads still fail
STATUSES = (InboundStatus.DEAD, InboundStatus.FAILED)


class Command(BaseCommand):
    help = (
        "Replays stored inbound payloads (default: every dead letter) in batches of 500 and prints what "
        "came of them. Exit code 1 when some still fail."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--id", dest="ids", type=int, nargs="+", action="extend", metavar="ID", help="payload ids"
        )
        parser.add_argument(
            "--status",
            help="dead or failed (default: dead; with --id, any status not in a worker's hands)",
        )
        parser.add_argument("--shop", help="shop code")
        parser.add_argument("--platform", help="platform, e.g. taobao")
        parser.add_argument("--since", help="received at or after (ISO 8601 or a date, Beijing time)")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be replayed")

    def handle(self, *args, ids=None, status=None, shop=None, platform=None, since=None, **options):
        events = self._select(ids=ids, status=status, shop=shop, platform=platform, since=since)
        to_replay = replayable_ids(events)
        if options["dry_run"]:
            self.stdout.write(f"dry run: {len(to_replay)} payloads would be replayed")
            return
        report = ProcessReport()
        for start in range(0, len(to_replay), BATCH):
            report.add(inbound_replay(to_replay[start : start + BATCH]))
            self.stderr.write(f"replayed {min(start + BATCH, len(to_replay))}/{len(to_replay)}")
        summary = (
            f"replayed {len(to_replay)} payloads: {report.outcomes['created']} orders created, "
            f"{report.outcomes['updated']} updated, "
            f"{report.outcomes['unchanged'] + report.outcomes['stale']} unchanged; "
            f"still failing: {report.dead} dead, {report.failed} failed (will retry)"
        )
        if report.dead or report.failed:
            self.stdout.write(summary)
            raise CommandError(
                f"{report.dead + report.failed} payloads still fail; their errors are in the admin's "
                "inbound payloads list"
            )
        self.stdout.write(self.style.SUCCESS(summary))

    def _select(self, *, ids, status, shop, platform, since):
        events = InboundEvent.objects.all()
        if status is not None:
            if status not in STATUSES:
                raise _bad(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
            events = events.filter(status=status)
        elif not ids:
            events = events.filter(status=InboundStatus.DEAD)
        if ids:
            missing = sorted(
                set(ids) - set(InboundEvent.objects.filter(pk__in=ids).values_list("pk", flat=True))
            )
            if missing:
                raise _bad(f"no inbound payload with id {', '.join(map(str, missing))}")
            events = events.filter(pk__in=ids)
        if shop:
            shop_row = Shop.objects.filter(code=shop).first()
            if shop_row is None:
                known = ", ".join(Shop.objects.values_list("code", flat=True)) or "none"
                raise _bad(f"no shop {shop!r}; known shops: {known}")
            events = events.filter(shop=shop_row)
        if platform:
            if platform not in Platform.values:
                raise _bad(f"unknown platform {platform!r}; one of {', '.join(Platform.values)}")
            events = events.filter(platform=platform)
        if since:
            try:
                moment = parse_moment(since)
            except CommandError as exc:
                raise _bad(f"--since: {exc}") from None
            events = events.filter(received_at__gte=moment)
        return events


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_ARGUMENTS)
