"""Ship write-back: telling a shop's platform that an order left with a carrier and tracking number.

The downward call fulfillment makes once a parcel ships. Each platform's real ship API lives in
`platforms/<name>/ship.py` as `ship(client, request)`; carrier codes each platform wants are there too.
"""

import importlib
from dataclasses import dataclass, field

import httpx

from channels_sync.platforms.base import PlatformError
from channels_sync.platforms.http import fail_fast
from channels_sync.platforms.registry import PLATFORM_NAMES
from channels_sync.shops import client_for
from orderhub.models import Shop


@dataclass(frozen=True)
class ShipRequest:
    platform_order_id: str
    carrier_code: str  # ours: the e-waybill cp_code (YTO, ZTO, SF, ...)
    carrier_name: str
    tracking_number: str
    platform_line_ids: tuple[str, ...] = field(default_factory=tuple)


def carrier_code_for(table: dict[str, str], request: ShipRequest, platform: str, extra: dict) -> str:
    """The platform's code for our carrier: the shop's `carrier_codes` credential wins over the table."""
    overrides = extra.get("carrier_codes") or {}
    code = overrides.get(request.carrier_code) or table.get(request.carrier_code.upper())
    if not code:
        raise PlatformError(
            f"{platform} has no code for carrier {request.carrier_code}: add it to the shop's carrier_codes",
            code="carrier_unknown",
        )
    return str(code)


def shop_ship(*, shop: Shop, request: ShipRequest, http: httpx.Client) -> dict:
    """Writes the tracking number back to the shop's platform, one attempt (the caller retries on a
    schedule). Returns the platform's answer; raises PlatformError as the platform answered."""
    if shop.platform not in PLATFORM_NAMES:
        raise LookupError(f"shop {shop.code} is on {shop.platform!r}, which has no ship API")
    if not request.tracking_number:
        raise ValueError("a tracking number is needed to ship")
    module = importlib.import_module(f"channels_sync.platforms.{shop.platform}.ship")
    with fail_fast():
        return module.ship(client_for(shop, http), request)
