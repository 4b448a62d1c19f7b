"""The command that serves OrderHub's WSGI application, for the benchmarks that start their own web tier.

granian is the recommended server: its HTTP handling is Rust, so a push costs Python only the WSGI call.
On a 2-core machine granian answered 1,100-1,500 pushes/s and gunicorn's gthread worker 1,000-1,200/s with
the same application (docs/benchmarks.md). gunicorn stays available to compare against.
"""

from __future__ import annotations

import socket
import sys

WEB_SERVERS = ("granian", "gunicorn")
DEFAULT_WEB_SERVER = "granian"
WSGI_APPLICATION = "orderhub.wsgi:application"


def free_port() -> int:
    """A local port nothing listens on now, for a server started next."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def web_server_command(server: str, *, port: int, workers: int, threads: int = 4) -> list[str]:
    """argv serving the application on 127.0.0.1:`port` with `workers` processes of `threads` threads
    each, keeping connections alive (platforms push over persistent connections too)."""
    if server == "granian":
        options = ["--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        options += ["--workers", str(workers), "--blocking-threads", str(threads), "--log-level", "warning"]
        return [sys.executable, "-m", "granian", *options, WSGI_APPLICATION]
    if server == "gunicorn":
        options = ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--worker-class", "gthread"]
        options += ["--threads", str(threads), "--keep-alive", "5", "--log-level", "warning"]
        return [sys.executable, "-m", "gunicorn", *options, WSGI_APPLICATION]
    raise ValueError(f"unknown web server {server!r}; known: {', '.join(WEB_SERVERS)}")
