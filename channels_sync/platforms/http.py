"""HTTP for platform clients: one place that maps transport failures and retries calls."""

from __future__ import annotations

import functools
import logging
import random
import ssl
import time
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import certifi
import httpx
from django.conf import settings

from channels_sync.platforms.base import PlatformError, RateLimited

logger = logging.getLogger(__name__)
T = TypeVar("T")
_fail_fast: ContextVar[bool] = ContextVar("platform_calls_fail_fast", default=False)


@contextmanager
def fail_fast():
    """Within this block a failed call raises at once instead of sleeping and retrying.

    A worker draining a batch must not sleep 30 s per failing detail fetch: the payload is retried later
    with its own backoff, and the rest of the batch goes on.
    """
    token = _fail_fast.set(True)
    try:
        yield
    finally:
        _fail_fast.reset(token)


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def http_client(**options) -> httpx.Client:
    """An HTTP client for platform and carrier APIs. Building TLS settings reads the whole certificate
    bundle (tens of milliseconds); a worker that opens a client for every drain, pull or push must not
    pay that each time, so all clients of a process share one TLS context."""
    return httpx.Client(verify=_tls(), **options)


def request(http: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    """Sends a request; network failures and gateway 5xx become retryable PlatformErrors."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise PlatformError(
            f"cannot reach {url}: {exc.__class__.__name__}", code="network", retryable=True
        ) from exc
    if response.status_code == 429:
        retry_after = float(response.headers.get("Retry-After") or 1)
        raise RateLimited(f"HTTP 429 from {url}", retry_after=retry_after, code="429")
    if response.status_code >= 500:
        raise PlatformError(
            f"HTTP {response.status_code} from {url}", code=str(response.status_code), retryable=True
        )
    return response


def json_body(response: httpx.Response) -> dict:
    try:
        return response.json()
    except ValueError as exc:
        raise PlatformError(
            f"HTTP {response.status_code}: response is not JSON: {response.text[:200]!r}", code="bad_response"
        ) from exc


def with_retries(call: Callable[[], T], *, what: str) -> T:
    """Runs a platform call, sleeping out rate limits (with jitter) and retrying transient failures.

    Delays come from settings so tests can shrink them: CHANNEL_RETRY_DELAY_SECONDS (default 30),
    CHANNEL_RETRY_ATTEMPTS (default 3 retries) and CHANNEL_MAX_RATE_LIMIT_SLEEP_SECONDS.
    """
    attempts = 0 if _fail_fast.get() else getattr(settings, "CHANNEL_RETRY_ATTEMPTS", 3)
    delay = getattr(settings, "CHANNEL_RETRY_DELAY_SECONDS", 30)
    max_sleep = getattr(settings, "CHANNEL_MAX_RATE_LIMIT_SLEEP_SECONDS", 120)
    for attempt in range(attempts + 1):
        try:
            return call()
        except RateLimited as exc:
            if attempt == attempts:
                raise
            pause = min(exc.retry_after, max_sleep) * getattr(settings, "CHANNEL_RATE_LIMIT_SLEEP_FACTOR", 1)
            pause += random.uniform(0, pause * 0.2)
            logger.warning("%s rate limited (%s); sleeping %.1fs", what, exc.code, pause)
            time.sleep(pause)
        except PlatformError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            logger.warning("%s failed (%s), retry %d/%d in %ss", what, exc, attempt + 1, attempts, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
