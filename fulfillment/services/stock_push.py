"""Stock push: what every shop selling a SKU should show as sellable, and pushing it, debounced.

A shop's quantity for one of its platform SKUs (a "listing") is
    max(0, floor(available × shop.stock_ratio) − shop.safety_stock)
where available is the sum over active warehouses of on hand − allocated; a listing that maps to several
of our SKUs (a bundle, or a multi-pack) can sell min over its components of floor(available_i / qty_i).

StockPush has one row per shop and our SKU, so each listing is kept on the row of one "anchor" SKU:
a single-SKU listing on its SKU, a bundle on its lowest-pk component that the shop does not also sell on
its own. A listing with no free anchor cannot be tracked until StockPush is keyed by platform SKU; it is
logged and left out rather than overwrite another listing's row.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Sum, Value, When
from django.utils import timezone

from channels_sync.platforms.base import AuthExpired, PlatformError
from channels_sync.platforms.http import fail_fast, http_client
from channels_sync.platforms.registry import PLATFORM_NAMES
from channels_sync.stock import shop_stock_update
from fulfillment.models import Stock, StockPush
from orderhub.models import OrderLineSku, Shop, SkuMapping

logger = logging.getLogger(__name__)

ORDER_LOOKBACK = timedelta(days=90)  # a shop that sold the SKU this recently still sells it


@dataclass(frozen=True)
class Listing:
    """One platform SKU of one shop, in our SKUs: ((sku_id, units per platform unit), ...)."""

    shop_id: int
    platform_sku_id: str
    outer_sku_code: str
    components: tuple[tuple[int, int], ...]

    @property
    def key(self) -> tuple[int, str]:
        return self.shop_id, self.platform_sku_id or f"outer:{self.outer_sku_code}"


@dataclass(frozen=True)
class ListingStock:
    """A listing with the figures its quantity came from, as the per-SKU page shows them."""

    listing: Listing
    shop: Shop
    available: int
    calculated: int


def listing_quantity(*, available: int, ratio, safety_stock: int) -> int:
    return max(0, math.floor(available * ratio) - safety_stock)


def stock_push_calculate(sku_ids) -> list[StockPush]:
    """Recalculates every shop's quantity for listings of these SKUs and marks changed rows due after the
    debounce; a row already due keeps its time, so a burst of changes makes one push."""
    now = timezone.now()
    due_at = now + timedelta(seconds=getattr(settings, "STOCK_PUSH_DEBOUNCE_SECONDS", 30))
    rows = []
    for (shop_id, sku_id), figures in _listing_stocks(set(sku_ids)).items():
        row, _ = StockPush.objects.get_or_create(shop_id=shop_id, sku_id=sku_id)
        row.calculated = figures.calculated
        if row.calculated == row.last_pushed:
            row.due_at = None  # back where the shop already is: nothing to push
        elif row.due_at is None:
            row.due_at = due_at
        row.save(update_fields=["calculated", "due_at"])
        rows.append(row)
    return rows


def stock_push_now(*, sku_id: int) -> int:
    """Recalculates one SKU and pushes every shop's row at once, changed or not; the number pushed."""
    stock_push_calculate([sku_id])
    now = timezone.now()
    StockPush.objects.filter(sku_id=sku_id).update(due_at=now)
    return stock_push_due(now, sku_ids=[sku_id])


def stock_push_due(now: datetime, *, sku_ids=None) -> int:
    """Pushes every row due by `now`; one shop's failure is recorded on its row and retried later.

    Returns how many pushes the platforms accepted.
    """
    due = StockPush.objects.filter(due_at__lte=now).select_related("shop", "sku").order_by("due_at", "pk")
    if sku_ids is not None:
        due = due.filter(sku_id__in=sku_ids)
    rows = [row for row in due if _claim(row, now)]
    if not rows:
        return 0
    listings = _listing_stocks({row.sku_id for row in rows})
    pushed = 0
    # Fail fast: a throttled shop waits for its retry instead of stalling every other shop's push.
    with http_client(timeout=getattr(settings, "STOCK_PUSH_HTTP_TIMEOUT_SECONDS", 15)) as http, fail_fast():
        for row in rows:
            figures = listings.get((row.shop_id, row.sku_id))
            if figures is None:
                _failed(row, now, "no platform SKU of this shop sells it any more", retry=False)
                continue
            listing = figures.listing
            try:
                shop_stock_update(
                    shop=row.shop,
                    platform_sku_id=listing.platform_sku_id,
                    outer_sku_code=listing.outer_sku_code,
                    quantity=row.calculated,
                    http=http,
                )
            except (PlatformError, LookupError, ValueError) as exc:
                retry = getattr(exc, "retryable", False) and not isinstance(exc, AuthExpired)
                _failed(row, now, f"{exc.__class__.__name__}: {exc}", retry=retry)
                continue
            _pushed(row, now)
            pushed += 1
    return pushed


def _claim(row: StockPush, now: datetime) -> bool:
    """Takes the row for this run: a concurrent run (the schedule, "push now") sees it no longer due."""
    lease = now + timedelta(seconds=getattr(settings, "STOCK_PUSH_LEASE_SECONDS", 300))
    return bool(StockPush.objects.filter(pk=row.pk, due_at=row.due_at).update(due_at=lease))


def _pushed(row: StockPush, now: datetime) -> None:
    # The quantity may have been recalculated while we pushed: then it is due again after the debounce.
    again = now + timedelta(seconds=getattr(settings, "STOCK_PUSH_DEBOUNCE_SECONDS", 30))
    StockPush.objects.filter(pk=row.pk).update(
        last_pushed=row.calculated,
        pushed_at=now,
        last_error="",
        due_at=Case(When(calculated=row.calculated, then=Value(None)), default=Value(again)),
    )


def _failed(row: StockPush, now: datetime, error: str, *, retry: bool) -> None:
    """A transient failure is retried soon; one a person must fix (a revoked token, a missing item id) an
    hour later, so it stays visible without hammering the platform."""
    seconds = (
        getattr(settings, "STOCK_PUSH_RETRY_SECONDS", 60)
        if retry
        else getattr(settings, "STOCK_PUSH_RETRY_MAX_SECONDS", 3600)
    )
    logger.warning("stock push %s/%s failed: %s", row.shop.code, row.sku.code, error)
    StockPush.objects.filter(pk=row.pk).update(
        last_error=error[:2000], due_at=now + timedelta(seconds=seconds)
    )


def stock_push_overview(*, sku_id: int) -> list[tuple[ListingStock, StockPush | None]]:
    """Per shop selling the SKU: the listing, its figures now, and what was last pushed."""
    figures = {key: value for key, value in _listing_stocks({sku_id}).items() if key[1] == sku_id}
    rows = {row.shop_id: row for row in StockPush.objects.filter(sku_id=sku_id)}
    return [
        (value, rows.get(shop_id))
        for (shop_id, _), value in sorted(figures.items(), key=lambda item: item[1].shop.code)
    ]


def _listing_stocks(sku_ids: set[int]) -> dict[tuple[int, int], ListingStock]:
    """(shop id, anchor SKU id) → the listing kept on that StockPush row, with its figures now."""
    listings = _listings(sku_ids)
    # Components of bundles decide anchors and availability: read the listings of those SKUs too.
    more = {sku for listing in listings for sku, _ in listing.components} - sku_ids
    if more:
        listings = _listings(sku_ids | more)
    available = _available({sku for listing in listings for sku, _ in listing.components})
    shops = {shop.pk: shop for shop in Shop.objects.filter(pk__in={listing.shop_id for listing in listings})}
    found = {}
    for (shop_id, anchor), listing in _anchored(listings).items():
        shop = shops[shop_id]
        units = min(available.get(sku, 0) // quantity for sku, quantity in listing.components)
        calculated = listing_quantity(available=units, ratio=shop.stock_ratio, safety_stock=shop.safety_stock)
        found[(shop_id, anchor)] = ListingStock(listing, shop, units, calculated)
    return found


def _listings(sku_ids: set[int]) -> list[Listing]:
    """Active API shops' listings of these SKUs: SKU mappings, and platform SKUs of recent order lines
    that resolved without one (an outer code equal to our SKU code)."""
    shops = Q(shop__active=True, shop__platform__in=PLATFORM_NAMES)
    found: dict[tuple[int, str], Listing] = {}
    mappings = (
        SkuMapping.objects.filter(shops, items__sku_id__in=sku_ids).distinct().prefetch_related("items")
    )
    for mapping in mappings:
        components = tuple(sorted((item.sku_id, item.quantity) for item in mapping.items.all()))
        listing = Listing(mapping.shop_id, mapping.platform_sku_id, mapping.outer_sku_code, components)
        found[listing.key] = listing
    since = timezone.now() - ORDER_LOOKBACK
    lines = (
        OrderLineSku.objects.filter(
            sku_id__in=sku_ids,
            line__order__shop__active=True,
            line__order__shop__platform__in=PLATFORM_NAMES,
            line__order__created_at__gte=since,
        )
        .order_by("-line_id")
        .values_list("line__order__shop_id", "line__platform_sku_id", "line__outer_sku_code", "line_id")
    )
    from_lines: dict[tuple[int, str], tuple[int, Listing]] = {}
    for shop_id, platform_sku_id, outer, line_id in lines:
        listing = Listing(shop_id, platform_sku_id, outer, ())
        if listing.key in found or listing.key in from_lines:
            continue  # a mapping row wins; of several lines the newest says what the listing is
        from_lines[listing.key] = (line_id, listing)
    parts = defaultdict(list)
    for line_id, sku_id, quantity, line_quantity in OrderLineSku.objects.filter(
        line_id__in=[line_id for line_id, _ in from_lines.values()]
    ).values_list("line_id", "sku_id", "quantity", "line__quantity"):
        # OrderLineSku quantities are multiplied by the line's; the listing needs them per platform unit.
        parts[line_id].append((sku_id, max(1, quantity // line_quantity)))
    for line_id, listing in from_lines.values():
        found[listing.key] = Listing(
            listing.shop_id, listing.platform_sku_id, listing.outer_sku_code, tuple(sorted(parts[line_id]))
        )
    return [listing for listing in found.values() if listing.components]


def _anchored(listings: list[Listing]) -> dict[tuple[int, int], Listing]:
    """Each listing's StockPush row: single-SKU listings first, then bundles on a free component."""
    taken: dict[tuple[int, int], Listing] = {}
    ordered = sorted(listings, key=lambda listing: (len(listing.components), listing.key))
    for listing in ordered:
        free = [sku for sku, _ in listing.components if (listing.shop_id, sku) not in taken]
        if not free:
            logger.warning(
                "stock push cannot track listing %s: every component already has a row", listing.key
            )
            continue
        taken[(listing.shop_id, min(free))] = listing
    return taken


def _available(sku_ids: set[int]) -> dict[int, int]:
    rows = (
        Stock.objects.filter(sku_id__in=sku_ids, warehouse__active=True)
        .values("sku_id")
        .annotate(available=Sum(F("on_hand") - F("allocated")))
    )
    return {row["sku_id"]: row["available"] or 0 for row in rows}
