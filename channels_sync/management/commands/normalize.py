"""python manage.py normalize --platform P FILE: a raw platform payload → OrderHub's normalized JSON."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.registry import PLATFORM_NAMES, get_adapter

UNREADABLE = 2


class Command(BaseCommand):
    help = (
        "Prints the normalized order(s) of a raw payload file (a list response, a detail response or a push "
        "body) as a JSON array. Unreadable input: exit code 2 and a one-line reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True, choices=PLATFORM_NAMES)
        parser.add_argument("file", help="path to the JSON payload, or - for standard input")

    def handle(self, *args, platform, file, **options):
        text = self._read(file)
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise CommandError(f"{file}: not JSON ({exc})", returncode=UNREADABLE) from None
        adapter = get_adapter(platform)
        try:
            orders = [adapter.normalize(raw).to_json() for raw in adapter.extract_orders(payload)]
        except (PayloadError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}", returncode=UNREADABLE) from None
        if not orders:
            raise CommandError(f"{file}: no order in this payload", returncode=UNREADABLE)
        self.stdout.write(json.dumps(orders, ensure_ascii=False, indent=2))

    def _read(self, file: str) -> str:
        if file == "-":
            return sys.stdin.read()
        try:
            return Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot read ({exc})", returncode=UNREADABLE) from None
