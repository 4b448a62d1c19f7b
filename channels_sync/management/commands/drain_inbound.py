"""python manage.py drain_inbound [--loop] [--idle-exit SECONDS]: a worker that turns stored payloads into
orders batch by batch, without django-q2 (for operators, benchmarks and a dedicated ingestion worker)."""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels_sync.platforms.http import http_client
from channels_sync.services.inbound import ProcessReport, inbound_claim, inbound_process

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = (
        "Processes pending inbound payloads in batches. Without --loop it stops when none is left; with "
        "--loop it keeps polling, and stops after --idle-exit seconds without work (0: only on a signal)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling for new payloads")
        parser.add_argument(
            "--idle-exit", type=float, default=0, help="with --loop: stop after this many idle seconds"
        )
        parser.add_argument("--batch-size", type=int, default=500, help="payloads claimed at a time")
        parser.add_argument("--poll", type=float, default=0.1, help="seconds between polls when idle")

    def handle(self, *args, loop, idle_exit, batch_size, poll, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if idle_exit < 0 or poll <= 0:
            raise CommandError("--idle-exit must be 0 or more and --poll more than 0")
        stopping: list[int] = []
        # A stop request lets the batch in hand finish, so no payload waits out the claim timeout.
        previous = {
            sig: signal.signal(sig, lambda signum, _: stopping.append(signum)) for sig in STOP_SIGNALS
        }
        try:
            payloads, report, seconds = self._drain(loop, idle_exit, batch_size, poll, stopping)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        outcomes = ", ".join(f"{name} {count}" for name, count in sorted(report.outcomes.items()))
        self.stdout.write(
            f"drained {payloads} payloads in {seconds:.1f} s"
            f" (orders: {outcomes or 'none'}; failed {report.failed}, dead letters {report.dead})"
        )

    def _drain(self, loop, idle_exit, batch_size, poll, stopping) -> tuple[int, ProcessReport, float]:
        # Only the counts add up: a long-running worker must not keep every order id it has seen.
        report, payloads = ProcessReport(), 0
        started = idle_since = time.monotonic()
        timeout = getattr(settings, "CHANNEL_HTTP_TIMEOUT_SECONDS", 20)
        with http_client(timeout=timeout) as http:
            while not stopping:
                ids = inbound_claim(limit=batch_size)
                if ids:
                    batch = inbound_process(ids, http=http, counted=True)
                    batch.order_ids.clear()
                    report.add(batch)
                    payloads += len(ids)
                    idle_since = time.monotonic()
                    if len(ids) == batch_size or not loop:
                        continue
                elif not loop or (idle_exit and time.monotonic() - idle_since >= idle_exit):
                    break
                # Idle, or the backlog just ran out: a part batch pays a batch's fixed cost (claim,
                # lookups, transaction) for a few orders, so let the next one gather for a moment.
                time.sleep(poll)
        return payloads, report, time.monotonic() - started
