"""The web server the benchmarks start: each choice really serves OrderHub's application, lean push path
included. The servers run as child processes, as in bench_ingest and simulate_peak."""

import os
import subprocess
import time

import httpx
import pytest
from django.conf import settings

from orderhub.web_server import WEB_SERVERS, free_port, web_server_command

START_TIMEOUT_SECONDS = 30


@pytest.fixture(params=WEB_SERVERS)
def served(request, tmp_path):
    """A base URL where the chosen server answers, stopped after the test."""
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    # What the test asks needs no database; the server must not reach for the real one.
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "orderhub.settings", "DATABASE_URL": "sqlite://:memory:"}
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        web_server_command(request.param, port=port, workers=1, threads=2),
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                httpx.get(f"{base_url}/hooks/shopify/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def test_the_server_answers_pushes_through_the_application(served):
    with httpx.Client(base_url=served) as client:
        unknown = client.post("/hooks/ebay/", content=b"{}")
        wrong_method = client.get("/hooks/shopify/")

    # The push view answers, with its own errors
    assert unknown.status_code == 404 and "unknown platform" in unknown.json()["error"]
    assert wrong_method.status_code == 405


def test_an_unknown_server_is_refused():
    with pytest.raises(ValueError, match="unknown web server 'uvicorn'"):
        web_server_command("uvicorn", port=8000, workers=1)
