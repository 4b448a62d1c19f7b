"""python manage.py simulate_peak --rate 200 --minutes 5: a Double-11 peak through the whole path.

Starts the web server (granian; --server gunicorn to compare) and `--workers` qcluster processes (or
uses the ones you run: --url / --no-start-workers), checks the cluster really consumes the queue, pushes
new paid orders of the demo shops at `--rate` a second, prints progress every few seconds, waits for the
backlog to drain, then prints per-minute throughput, backlog, acknowledgement latency, paid → allocated
and a verdict against the README's targets.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max

from orderhub.dashboard.peak import (
    PEAK_TABLES,
    PeakError,
    PeakRun,
    demo_shops,
    inbound_claimable_count,
    progress,
    progress_line,
    push_at_rate,
    pushes_prepare,
    report_lines,
    stock_top_up,
    wait_drained,
    whole_order_platforms,
)
from orderhub.dashboard.peak import figures as peak_figures
from orderhub.models import Order
from orderhub.planner_stats import autovacuum_stand_in
from orderhub.web_server import DEFAULT_WEB_SERVER, WEB_SERVERS, free_port, web_server_command

READY_TIMEOUT_SECONDS = 40
LEFTOVER_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 20


def _tail(log: Path, lines: int = 20) -> str:
    text = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    return "\n".join(text[-lines:]) or "(no output)"


def broker_name() -> str:
    return "redis" if settings.Q_CLUSTER.get("redis") else "orm"


@contextmanager
def processes(commands: list[tuple[str, list[str]]], log_dir: Path, env: dict):
    """Child processes, always stopped (SIGTERM, then SIGKILL) on the way out."""
    started: list[tuple[str, subprocess.Popen, Path]] = []
    base = Path(settings.BASE_DIR)
    try:
        for name, argv in commands:
            log = log_dir / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    argv, cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            started.append((name, process, log))
        yield started
    finally:
        for _, process, _ in started:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for _, process, _ in started:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                # qcluster's own children (sentinel, workers) share its session: stop them all.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _check_alive(started) -> None:
    for name, process, log in started:
        if process.poll() is not None:
            raise PeakError(f"{name} exited with code {process.returncode}:\n{_tail(log)}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Simulates a peak: the sandbox pushes new paid orders at --rate per second for --minutes "
        "through the web server and the qcluster workers (ingest, decide, allocate) and prints "
        "throughput per minute, backlog, ack p50/p99, paid → allocated p95 and a verdict. Needs "
        "seed_demo; meant for PostgreSQL with REDIS_URL set. The last line is JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=200, help="new paid orders per second")
        parser.add_argument("--minutes", type=float, default=5, help="how long orders are pushed")
        parser.add_argument("--workers", type=int, default=2, help="qcluster processes to start")
        parser.add_argument(
            "--cluster-workers", type=int, default=None, help="workers per qcluster (default: Q_WORKERS)"
        )
        parser.add_argument(
            "--server", choices=WEB_SERVERS, default=DEFAULT_WEB_SERVER, help="the web server"
        )
        parser.add_argument("--web-workers", type=int, default=2, help="web server workers (4 threads each)")
        parser.add_argument(
            "--worker-nice",
            type=int,
            default=5,
            help="CPU niceness of the qcluster processes when they share the machine with the web server "
            "(README, production): acknowledgements first, 0 for equal shares",
        )
        parser.add_argument(
            "--url", default="", help="use this running OrderHub instead of starting a web server"
        )
        parser.add_argument(
            "--no-start-workers", action="store_true", help="qcluster processes are already running"
        )
        parser.add_argument(
            "--platforms",
            default="",
            help="comma-separated demo platforms (default: all whose pushes carry the whole order)",
        )
        parser.add_argument("--concurrency", type=int, default=32, help="client threads pushing")
        parser.add_argument("--drain-timeout", type=float, default=300, help="seconds to wait after the end")
        parser.add_argument("--progress-every", type=float, default=5, help="seconds between progress lines")
        parser.add_argument("--no-stock-top-up", action="store_true", help="leave demo stock as it is")
        parser.add_argument("--allow-sqlite", action="store_true", help="run on SQLite anyway")
        parser.add_argument(
            "--no-autovacuum",
            action="store_true",
            help="with autovacuum off on the server, do not vacuum and analyse the filling tables in the run",
        )

    def handle(self, *args, **o):
        self._check(o)
        if threading.current_thread() is threading.main_thread():
            # `timeout` or a supervisor sends SIGTERM: stop the child processes on the way out.
            signal.signal(signal.SIGTERM, _interrupt)
        try:
            platforms = whole_order_platforms([p for p in o["platforms"].split(",") if p] or None)
            if not platforms:
                raise PeakError("none of the chosen platforms pushes whole orders")
            shops = demo_shops(platforms)
            seconds = o["minutes"] * 60
            if not o["no_stock_top_up"]:
                rows = stock_top_up(round(o["rate"] * seconds))
                self._say(f"stock raised on {rows} stock rows for the peak")
            self._run(o, shops, seconds)
        except PeakError as exc:
            raise CommandError(str(exc)) from None

    def _check(self, o) -> None:
        if not (o["rate"] > 0 and o["minutes"] > 0):
            raise CommandError("--rate and --minutes must be more than 0")
        if o["workers"] < 1 and not o["no_start_workers"]:
            raise CommandError("--workers must be at least 1")
        if o["web_workers"] < 1 or o["concurrency"] < 1 or o["progress_every"] <= 0:
            raise CommandError("--web-workers, --concurrency and --progress-every must be more than 0")
        if connection.vendor != "postgresql" and not o["allow_sqlite"]:
            raise CommandError(
                f"simulate_peak measures PostgreSQL (set DATABASE_URL=postgres://... and REDIS_URL); this "
                f"database is {connection.vendor}. Pass --allow-sqlite to run it here anyway."
            )
        if settings.Q_CLUSTER.get("sync"):
            raise CommandError("Q_SYNC is on: tasks would run inside the web server, not on the cluster")

    def _run(self, o, shops, seconds) -> None:
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        if o["cluster_workers"]:
            env["Q_WORKERS"] = str(o["cluster_workers"])
        cluster_workers = int(env.get("Q_WORKERS", settings.Q_CLUSTER["workers"]))
        port = free_port()
        base_url = o["url"].rstrip("/") or f"http://127.0.0.1:{port}"
        commands = []
        if not o["url"]:
            commands.append(
                (o["server"], web_server_command(o["server"], port=port, workers=o["web_workers"]))
            )
        if not o["no_start_workers"]:
            commands += [
                (
                    f"qcluster-{n + 1}",
                    [
                        *(["nice", "-n", str(o["worker_nice"])] if o["worker_nice"] else []),
                        sys.executable,
                        str(Path(settings.BASE_DIR) / "manage.py"),
                        "qcluster",
                    ],
                )
                for n in range(o["workers"])
            ]
        workers = {
            "broker": broker_name(),
            "cluster_processes": o["workers"] if not o["no_start_workers"] else "external",
            "workers_per_cluster": cluster_workers,
            "web_workers": o["web_workers"] if not o["url"] else "external",
        }
        self._say(
            f"broker: {workers['broker']}"
            + ("" if workers["broker"] == "redis" else " (set REDIS_URL for the production setup)")
            + f"; starting {', '.join(name for name, _ in commands) or 'nothing (all external)'}"
        )
        with ExitStack() as stack:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="simulate-peak-")))
            self._platform_apis(stack, shops)
            started = stack.enter_context(processes(commands, log_dir, env))
            self._wait_web(base_url, started)
            self._probe_cluster(started, log_dir, expected=o["workers"] if not o["no_start_workers"] else 1)
            self._wait_for_leftovers(started)
            if not o["no_autovacuum"]:
                stack.enter_context(autovacuum_stand_in(PEAK_TABLES, announce=self._say))
            run = PeakRun(rate=o["rate"], seconds=seconds, shops=shops)
            self._say(f"preparing {round(o['rate'] * seconds)} signed pushes (before the clock starts) ...")
            pushes = pushes_prepare(run, base_url)
            run.start_dt = datetime.now(tz=UTC)
            run.order_floor = Order.objects.aggregate(last=Max("pk"))["last"] or 0
            stop = threading.Event()
            pusher = threading.Thread(
                target=push_at_rate,
                args=(run, base_url, pushes),
                kwargs={"concurrency": o["concurrency"], "stop": stop},
                name="peak-pusher",
                daemon=True,
            )
            self._say(
                f"pushing {o['rate']:g} orders/s for {seconds:g} s to {base_url}/hooks/<platform>/ "
                f"({', '.join(shops)})"
            )
            samples = []
            pusher.start()
            try:
                while pusher.is_alive():
                    pusher.join(o["progress_every"])
                    _check_alive(started)
                    sample = progress(run)
                    samples.append(sample)
                    self._say(progress_line(run, sample))
            except KeyboardInterrupt:
                stop.set()
                pusher.join()
                raise CommandError("interrupted") from None
            self._say("pushing done; waiting for the backlog to drain")
            try:
                drained_at = wait_drained(
                    run, timeout=o["drain_timeout"], every=1.0, say=self._say, samples=samples
                )
            except KeyboardInterrupt:
                raise CommandError("interrupted") from None
            result = peak_figures(run, samples, drained_at, workers)
        for line in report_lines(result):
            self._say(line)

    def _platform_apis(self, stack: ExitStack, shops) -> None:
        """The scheduled pulls and back-fills of the demo shops call the sandbox's APIs. Without it they
        would wait out retries (30 s each) in the workers the peak needs, which a real platform would not
        cause: serve an empty sandbox where the demo shops point, unless something already listens."""
        from urllib.parse import urlsplit

        from channels_sync.sandbox.demo import demo_state
        from channels_sync.sandbox.server import RunningSandbox

        url = urlsplit(settings.ORDERHUB_SANDBOX_URL)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                self._say(f"platform APIs: a sandbox already answers at {settings.ORDERHUB_SANDBOX_URL}")
                return
        try:
            sandbox = RunningSandbox(demo_state(), host, port)
        except OSError as exc:
            self._say(f"platform APIs: cannot serve the sandbox at {host}:{port} ({exc}); pulls will retry")
            return
        stack.enter_context(sandbox)
        self._say(f"platform APIs: empty sandbox at {sandbox.url} for the demo shops' scheduled pulls")

    def _wait_web(self, base_url: str, started) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            _check_alive(started)
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise PeakError(f"{base_url}/healthz did not answer within {READY_TIMEOUT_SECONDS} s")

    def _probe_cluster(self, started, log_dir: Path, *, expected: int) -> None:
        """Queues small tasks and waits until workers ran them: an idle cluster would stall the run."""
        from django_q.brokers import get_broker
        from django_q.tasks import async_task

        waiting = get_broker().queue_size()
        if waiting:
            self._say(f"the queue already holds {waiting} tasks: the workers take those first")

        probe = log_dir / "probe.txt"
        token = uuid.uuid4().hex
        count = 8 * max(expected, 1)
        for _ in range(count):
            async_task("orderhub.dashboard.tasks.cluster_probe", path=str(probe), token=token)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            _check_alive(started)
            lines = probe.read_text().split("\n") if probe.exists() else []
            done = [line.split() for line in lines if line.startswith(token)]
            if len(done) >= count:
                pids = sorted({pid for _, pid in done})
                self._say(
                    f"worker cluster consuming: {count} probe tasks ran in {len(pids)} worker processes"
                )
                return
            time.sleep(0.3)
        logs = "\n".join(
            f"--- {name}\n{_tail(log)}" for name, _, log in started if name.startswith("qcluster")
        )
        raise PeakError(
            f"the worker cluster did not run probe tasks within {READY_TIMEOUT_SECONDS} s "
            f"(broker {broker_name()}; is qcluster running with the same DATABASE_URL/REDIS_URL?)\n{logs}"
        )

    def _wait_for_leftovers(self, started) -> None:
        """Payloads stored before the run (an earlier run cut short) would be counted as the run's own
        orders: the clock starts once the cluster has processed them."""
        deadline = time.monotonic() + LEFTOVER_TIMEOUT_SECONDS
        while left := inbound_claimable_count():
            if time.monotonic() > deadline:
                raise PeakError(f"{left} payloads from before the run are still unprocessed")
            self._say(f"waiting for {left} payloads stored before the run to be processed ...")
            _check_alive(started)
            time.sleep(2)

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
