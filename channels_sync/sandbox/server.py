"""The sandbox HTTP server: every platform's API on localhost, with faults injected on demand.

Routes: `/<platform>/<api path>` goes to `sandbox/platforms/<platform>.py`'s `handle`;
`/_control/...` lets tests and `run_sandbox` create orders, change them and set faults.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from urllib.parse import parse_qsl, urlsplit

from channels_sync.sandbox import logistics
from channels_sync.sandbox.core import Faults, Request, Response, SandboxState

PLATFORMS = ("taobao", "jd", "pdd", "douyin", "youzan", "shopee", "lazada", "shopify")


def platform_module(platform: str) -> ModuleType:
    if platform not in PLATFORMS:
        raise KeyError(platform)
    importlib.import_module("channels_sync.sandbox.refunds")  # registers the refund APIs with the platforms
    return importlib.import_module(f"channels_sync.sandbox.platforms.{platform}")


def dispatch(state: SandboxState, platform: str, request: Request) -> Response:
    """Serves one platform call, after the fault layer had its say."""
    module = platform_module(platform)
    faults = state.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    with state.lock:
        state.calls.append((platform, request.path))
    if state.take("throttle_next") or state.chance(faults.throttle_rate):
        return module.throttled(faults.throttle_retry_after)
    if state.take("fail_next") or state.chance(faults.error_rate):
        return Response(503, {"error": "sandbox injected a server error"})
    return logistics.handle(platform, request, state) or module.handle(request, state)


def _control(state: SandboxState, action: str, payload: dict) -> Response:
    if action == "faults":
        known = set(Faults.__dataclass_fields__)
        unknown = set(payload) - known
        if unknown:
            return Response(400, {"error": f"unknown fault settings: {sorted(unknown)}"})
        with state.lock:
            state.faults = Faults(**payload)
        return Response(200, {"faults": payload})
    if action == "calls":
        return Response(200, {"calls": state.calls, "received": state.received})
    return Response(404, {"error": f"unknown control action {action!r}"})


class _Handler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # the sandbox is quiet; tests read state instead
        pass

    def _serve(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        segments = parts.path.lstrip("/").split("/", 1)
        prefix, rest = segments[0], "/" + (segments[1] if len(segments) > 1 else "")
        state = self.server.state
        try:
            if prefix == "_control":
                response = _control(state, rest.strip("/"), json.loads(body or b"{}"))
            elif prefix in logistics.PROVIDERS:
                request = Request(self.command, rest, dict(parse_qsl(parts.query)), dict(self.headers), body)
                response = logistics.provider(prefix, request, state)
            elif prefix in PLATFORMS:
                request = Request(
                    method=self.command,
                    path=rest,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = dispatch(state, prefix, request)
            else:
                response = Response(404, {"error": f"no platform at /{prefix}"})
        except Exception as exc:  # the sandbox reports its own bugs as a 500, like a real gateway would
            response = Response(500, {"error": f"sandbox failure: {exc!r}"})
        payload = (
            response.body if isinstance(response.body, str) else json.dumps(response.body, ensure_ascii=False)
        )
        data = payload.encode()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SandboxState):
        super().__init__(address, _Handler)
        self.state = state


class RunningSandbox:
    """A sandbox serving in a background thread: `with RunningSandbox() as sandbox: sandbox.url`."""

    def __init__(self, state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0):
        self.state = state or SandboxState()
        self.server = SandboxHTTPServer((host, port), self.state)
        self.thread = threading.Thread(target=self.server.serve_forever, name="sandbox", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    def __enter__(self) -> RunningSandbox:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
