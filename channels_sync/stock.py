"""Stock updates to the platforms: the downward call fulfillment makes when a shop's stock should change."""

import httpx

from channels_sync.platforms.base import PlatformError, ShopAuth
from channels_sync.shops import client_for
from orderhub.models import Shop


def shop_stock_update(
    *, shop: Shop, platform_sku_id: str, outer_sku_code: str, quantity: int, http: httpx.Client
) -> None:
    """Sets one platform SKU's sellable quantity in the shop (a full update, not a delta).

    Raises PlatformError (AuthExpired, RateLimited, ...) as the platform answered; LookupError for a
    shop whose platform has no API (manual / offline shops).
    """
    if quantity < 0:
        raise ValueError(f"stock quantity must not be negative, got {quantity}")
    if not platform_sku_id and not outer_sku_code:
        raise ValueError("a platform SKU id or an outer SKU code is needed to update stock")
    client_for(shop, http).update_stock(
        platform_sku_id=platform_sku_id, outer_sku_code=outer_sku_code, quantity=quantity
    )


def item_id_of(auth: ShopAuth, platform_sku_id: str, outer_sku_code: str) -> str:
    """The platform's item (product / goods) id a SKU belongs to.

    Taobao, PDD, Shopee, Youzan and Shopify need it beside the SKU id to update stock, and orders do not
    always carry it, so it comes from the shop's credentials: `item_ids` {platform SKU id or outer code:
    item id} (for Shopify the variant's inventory_item_id).
    """
    item_ids = auth.extra.get("item_ids") or {}
    found = item_ids.get(platform_sku_id) or item_ids.get(outer_sku_code)
    if not found:
        raise PlatformError(
            f"no item id for SKU {platform_sku_id or outer_sku_code}: add it to the shop's item_ids",
            code="item_id_unknown",
        )
    return str(found)
