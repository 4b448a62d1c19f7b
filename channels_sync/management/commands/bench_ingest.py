"""python manage.py bench_ingest --orders 20000: ingestion throughput and push acknowledgement latency
through the real pipeline — the web server (granian, or gunicorn to compare) answering pushes, drain
workers turning them into orders."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from channels_sync.bench import (
    BenchError,
    BenchPlan,
    bench_report,
    bench_run,
    bench_shop_create,
    bench_shop_delete,
    pushes_prepare,
)
from channels_sync.bench_http import LeanHttpClient
from channels_sync.models import InboundEvent
from channels_sync.platforms.registry import PLATFORM_NAMES
from orderhub.models import Hold, Order, OrderEvent, OrderLine, OrderLineSku
from orderhub.planner_stats import autovacuum_stand_in
from orderhub.web_server import DEFAULT_WEB_SERVER, WEB_SERVERS, free_port, web_server_command

READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15
# A drain worker left behind by a bench that was killed outright stops by itself after this long idle.
ORPHAN_IDLE_EXIT_SECONDS = 120
INGEST_TABLES = [InboundEvent, Order, OrderLine, OrderLineSku, OrderEvent, Hold]


def _tail(log: Path, lines: int = 15) -> str:
    text = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return "\n".join(text[-lines:]) or "(no output)"


@contextmanager
def _pipeline(
    *, server: str, port: int, web_workers: int, drain_workers: int, batch_size: int, log_dir: Path
):
    """The web server and drain workers as child processes, always stopped on the way out (errors, Ctrl-C)."""
    base = Path(settings.BASE_DIR)
    drain = [str(base / "manage.py"), "drain_inbound", "--loop", "--batch-size", str(batch_size)]
    commands = [(server, web_server_command(server, port=port, workers=web_workers))] + [
        (f"drain-{n}", [sys.executable, *drain, "--idle-exit", str(ORPHAN_IDLE_EXIT_SECONDS)])
        for n in range(drain_workers)
    ]
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    processes: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        for name, argv in commands:
            log = log_dir / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    argv, cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            processes.append((name, process, log))
        _wait_ready(port, processes)
        yield processes
    finally:
        for _, process, _ in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for _, process, _ in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(port: int, processes) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for name, process, log in processes:
            if process.poll() is not None:
                raise BenchError(f"{name} exited with code {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the web server did not answer /healthz within {READY_TIMEOUT_SECONDS} s")


class Command(BaseCommand):
    help = (
        "Measures sustained ingestion (orders/s, push accepted -> order stored) and push acknowledgement "
        "latency through the web server and drain workers. Meant for PostgreSQL. The last line is JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20000, help="orders pushed flat out")
        parser.add_argument("--platform", default="shopify", help="a platform whose pushes carry the order")
        parser.add_argument(
            "--server", choices=WEB_SERVERS, default=DEFAULT_WEB_SERVER, help="the web server"
        )
        parser.add_argument(
            "--web-workers", type=int, default=2, help="web server worker processes (4 threads each)"
        )
        parser.add_argument(
            "--drain-workers",
            type=int,
            default=settings.Q_CLUSTER["workers"],
            help="drain_inbound processes; default: as many as a qcluster runs (Q_WORKERS, %(default)s)",
        )
        parser.add_argument(
            "--warmup", type=int, default=500, help="pushes sent and stored before timing starts (0: none)"
        )
        parser.add_argument("--concurrency", type=int, default=8, help="client threads sending pushes")
        parser.add_argument("--ack-rate", type=int, default=200, help="pushes/s of the steady phase")
        parser.add_argument("--rate-seconds", type=float, default=10, help="length of the steady phase")
        parser.add_argument("--batch-size", type=int, default=500, help="payloads a drain claims at once")
        parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the orders")
        parser.add_argument("--keep", action="store_true", help="keep the bench shop and its orders")
        parser.add_argument("--allow-sqlite", action="store_true", help="run on SQLite anyway")
        parser.add_argument(
            "--no-autovacuum",
            action="store_true",
            help="with autovacuum off on the server, do not vacuum and analyse the filling tables in the run",
        )

    def handle(self, *args, **options):
        plan = BenchPlan(
            orders=options["orders"],
            platform=options["platform"],
            concurrency=options["concurrency"],
            ack_rate=options["ack_rate"],
            rate_seconds=options["rate_seconds"],
            web_server=options["server"],
            web_workers=options["web_workers"],
            drain_workers=options["drain_workers"],
            warmup=options["warmup"],
        )
        self._check(plan, options)
        port = free_port()
        hook_url = f"http://127.0.0.1:{port}/hooks/{plan.platform}/"
        try:
            shop, platform_shop = bench_shop_create(plan.platform)
        except BenchError as exc:
            raise CommandError(str(exc)) from None
        try:
            pushes = pushes_prepare(platform_shop, plan.total_pushes, hook_url=hook_url)
            with (
                self._autovacuum(options),
                tempfile.TemporaryDirectory(prefix="bench_ingest-") as log_dir,
                _pipeline(
                    server=plan.web_server,
                    port=port,
                    web_workers=plan.web_workers,
                    drain_workers=plan.drain_workers,
                    batch_size=options["batch_size"],
                    log_dir=Path(log_dir),
                ),
            ):
                figures = bench_run(
                    plan,
                    shop=shop,
                    pushes=pushes,
                    client_factory=lambda: LeanHttpClient("127.0.0.1", port),
                    timeout=options["timeout"],
                )
        except BenchError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if not options["keep"]:
                bench_shop_delete(shop.code)
        lines = bench_report(figures)
        if options["keep"]:
            lines.insert(-1, f"kept shop {shop.code} with its orders (run again to replace them)")
        for line in lines:
            self.stdout.write(line)

    def _autovacuum(self, options):
        if options["no_autovacuum"]:
            return nullcontext()
        return autovacuum_stand_in(INGEST_TABLES, announce=self.stdout.write)

    def _check(self, plan: BenchPlan, options) -> None:
        for name in ("orders", "web_workers", "drain_workers", "concurrency", "ack_rate", "batch_size"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")
        if options["warmup"] < 0:
            raise CommandError("--warmup must be 0 or more")
        if options["rate_seconds"] <= 0 or options["timeout"] <= 0:
            raise CommandError("--rate-seconds and --timeout must be more than 0")
        if plan.platform not in PLATFORM_NAMES:
            raise CommandError(f"unknown platform {plan.platform!r}; known: {', '.join(PLATFORM_NAMES)}")
        if connection.vendor != "postgresql" and not options["allow_sqlite"]:
            raise CommandError(
                f"bench_ingest measures PostgreSQL (set DATABASE_URL=postgres://...); this database is "
                f"{connection.vendor}. Pass --allow-sqlite to run it here anyway."
            )
