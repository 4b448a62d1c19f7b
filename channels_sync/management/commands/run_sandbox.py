"""python manage.py run_sandbox: every platform's API on localhost, live orders and their pushes.

`make run` starts it beside the web server and the worker, so the demo console fills with orders.
"""

from __future__ import annotations

import contextlib
import math
import random
import signal
import threading
import time
from collections.abc import Callable

import httpx
from django.core.management.base import BaseCommand, CommandError

from channels_sync.sandbox.core import Faults
from channels_sync.sandbox.demo import demo_state
from channels_sync.sandbox.driver import SandboxDriver
from channels_sync.sandbox.server import PLATFORMS, RunningSandbox

STATUS_EVERY_SECONDS = 10
TICK_SECONDS = 1.0
PUSH_TIMEOUT_SECONDS = 5
# option name → Faults field, for the probabilities checked to lie in 0..1
RATE_OPTIONS = {
    "throttle_rate": "throttle_rate",
    "error_rate": "error_rate",
    "duplicate_rate": "duplicate_push_rate",
    "out_of_order_rate": "out_of_order_push_rate",
    "malformed_rate": "malformed_push_rate",
}


def parse_platforms(value: str) -> list[str]:
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PLATFORMS]
    if unknown or not chosen:
        raise CommandError(
            f"unknown platform(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(PLATFORMS)}"
        )
    return list(dict.fromkeys(chosen))


def faults_from(options: dict) -> Faults:
    for option in RATE_OPTIONS:
        if not 0 <= options[option] <= 1:
            flag = "--" + option.replace("_", "-")
            raise CommandError(f"{flag} must lie between 0 and 1 (a probability), not {options[option]}")
    if options["latency_ms"] < 0:
        raise CommandError("--latency-ms cannot be negative")
    return Faults(
        latency_ms=options["latency_ms"], **{field: options[option] for option, field in RATE_OPTIONS.items()}
    )


def describe_faults(faults: Faults) -> str:
    on = [f"latency {faults.latency_ms} ms"] if faults.latency_ms else []
    on += [f"{field} {getattr(faults, field):g}" for field in RATE_OPTIONS.values() if getattr(faults, field)]
    return ", ".join(on) or "none"


def drive(driver: SandboxDriver, *, rate: float, stop: threading.Event, report: Callable[[], None]) -> None:
    """Ticks the driver at `rate` orders a second until `stop` is set; reports every 10 seconds."""
    # One tick a second with the orders that fell due: a fast rate makes several orders a tick, a
    # slow one (0.2/s) one order every fifth tick.
    due = 0.0
    last_tick = last_report = time.monotonic()
    while not stop.wait(TICK_SECONDS):
        now = time.monotonic()
        due += rate * (now - last_tick)
        last_tick = now
        if due >= 1:
            driver.tick(orders=int(due))
            due -= int(due)
        if now - last_report >= STATUS_EVERY_SECONDS:
            report()
            last_report = now


class Command(BaseCommand):
    help = (
        "Serves the platform sandbox (all eight platforms' APIs) and generates live orders, pushing "
        "them to OrderHub's webhooks, with faults on demand. Ctrl-C stops it."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop = threading.Event()  # set by Ctrl-C / SIGTERM, or by whoever runs the command in a thread

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8700, help="0 picks a free port")
        parser.add_argument(
            "--hook-url",
            default="http://127.0.0.1:8000/hooks",
            help="OrderHub's webhook base; pushes go to <hook-url>/<platform>/",
        )
        parser.add_argument(
            "--rate", type=float, default=0.2, help="new orders per second; 0 serves the APIs only"
        )
        parser.add_argument(
            "--platforms", default=",".join(PLATFORMS), help="comma-separated, default: all eight"
        )
        parser.add_argument(
            "--seed-orders",
            type=int,
            default=20,
            help="orders per platform created over the last 2 hours before serving (pulled, not pushed)",
        )
        parser.add_argument("--random-seed", type=int, default=None, help="repeat a run's orders exactly")
        parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every API call")
        parser.add_argument("--throttle-rate", type=float, default=0.0, help="share of API calls throttled")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share of API calls answering 503")
        parser.add_argument("--duplicate-rate", type=float, default=0.0, help="share of pushes sent twice")
        parser.add_argument(
            "--out-of-order-rate", type=float, default=0.0, help="share of updates pushed stale after new"
        )
        parser.add_argument("--malformed-rate", type=float, default=0.0, help="share of pushes cut short")

    def handle(self, *args, **options):
        platforms = parse_platforms(options["platforms"])
        faults = faults_from(options)
        rate, seed_orders = options["rate"], options["seed_orders"]
        if not (math.isfinite(rate) and rate >= 0):
            raise CommandError(f"--rate must be a number of orders per second, 0 or more, not {rate}")
        if seed_orders < 0:
            raise CommandError("--seed-orders cannot be negative")
        state = demo_state()
        state.faults = faults
        try:
            sandbox = RunningSandbox(state, options["host"], options["port"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from None
        rng = random.Random(options["random_seed"])
        with sandbox, httpx.Client(timeout=PUSH_TIMEOUT_SECONDS) as http:
            driver = SandboxDriver(state, options["hook_url"], http, rng, platforms)
            seeded = driver.seed(seed_orders)
            self._say(
                f"sandbox serving at {sandbox.url}/<platform> for {', '.join(platforms)}\n"
                f"  {seeded} orders seeded over the last 2 hours; "
                + (
                    f"{rate:g} new orders/s pushed to {options['hook_url']}/<platform>/"
                    if rate
                    else "no new orders"
                )
                + f"\n  faults: {describe_faults(faults)} (change them: POST {sandbox.url}/_control/faults)"
            )
            self._stop_on_sigterm()

            def report():
                self._say(driver.stats.summary())

            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a developer stops it
                drive(driver, rate=rate, stop=self.stop, report=report)
            self._say(f"sandbox stopped: {driver.stats.summary()}")

    def _say(self, text: str) -> None:
        # Flushed at once: `make run` sends this to var/log/sandbox.log, which people tail.
        self.stdout.write(text)
        self.stdout.flush()

    def _stop_on_sigterm(self) -> None:
        # Signal handlers can only be installed from the main thread; elsewhere the caller sets `stop`.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
