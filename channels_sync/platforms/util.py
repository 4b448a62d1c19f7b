"""Small conversions every platform mapping needs: money units, platform times, windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from channels_sync.platforms.base import PayloadError

BEIJING = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def yuan(value) -> Decimal:
    """Yuan given as a string, int or float (PDD, Shopee send floats): exact to the cent."""
    if value in (None, ""):
        return Decimal("0.00")
    try:
        # str() first: Decimal(0.1) would carry the float's binary error into the books.
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise PayloadError(f"not an amount: {value!r}") from exc


def fen(value) -> Decimal:
    """Integer cents (Douyin, JD refunds, Lazada reverse) → yuan."""
    if value in (None, ""):
        return Decimal("0.00")
    try:
        return (Decimal(str(value)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise PayloadError(f"not an amount in fen: {value!r}") from exc


def beijing_time(value) -> datetime | None:
    """'yyyy-MM-dd HH:mm:ss' in GMT+8 → aware UTC datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError as exc:
        raise PayloadError(f"not a Beijing time: {value!r}") from exc


def unix_time(value, *, milliseconds: bool = False) -> datetime | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        seconds = int(value) / (1000 if milliseconds else 1)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"not a unix time: {value!r}") from exc
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso_time(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"not an ISO-8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise PayloadError(f"ISO-8601 time without offset: {value!r}")
    return parsed.astimezone(UTC)


def format_beijing(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def window_slices(start: datetime, end: datetime, limit: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive slices no longer than the platform allows."""
    if end <= start:
        return
    cursor = start
    while cursor < end:
        upper = min(cursor + limit, end)
        yield cursor, upper
        cursor = upper


def text(value) -> str:
    return "" if value is None else str(value)


def id_text(value, what: str = "id", *, required: bool = True) -> str:
    """An id as the exact text the platform sent.

    A float has already lost the digits of a long id (Douyin, Shopify), and bool is an int subclass:
    both are refused rather than rounded into another order's id.
    """
    if value is None or value == "":
        if required:
            raise PayloadError(f"{what} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadError(f"{what} must be an integer or a string, got {value!r}")
    return str(value)


def status_from(table: dict, raw_status, what: str) -> tuple[str, frozenset[str]]:
    """A platform status → (standard status, flags); an unknown status is an error, never a guess."""
    try:
        return table[raw_status]
    except (KeyError, TypeError):
        raise PayloadError(f"unknown {what} {raw_status!r}; add it to the platform's status table") from None


def unseen(rows: list[dict], seen: set[str], key) -> list[dict]:
    """The rows not returned before in this pull, remembered from now on.

    Window slices share their edges and backwards paging repeats rows that moved between pages, so one
    pull may list an order twice; it must reach the upsert once.
    """
    fresh = []
    for row in rows:
        row_key = key(row)
        if row_key not in seen:
            seen.add(row_key)
            fresh.append(row)
    return fresh
