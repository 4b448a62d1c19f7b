"""From a Shop row to what a platform client needs."""

import httpx

from channels_sync.platforms.base import OrderClient, ShopAuth
from channels_sync.platforms.registry import get_adapter
from orderhub.models import Shop


def shop_auth(shop: Shop) -> ShopAuth:
    credentials = dict(shop.credentials or {})
    return ShopAuth(
        app_key=str(credentials.pop("app_key", "")),
        app_secret=str(credentials.pop("app_secret", "")),
        access_token=str(credentials.pop("access_token", "")),
        platform_shop_id=shop.platform_shop_id,
        base_url=shop.api_base_url,
        extra=credentials,
    )


def client_for(shop: Shop, http: httpx.Client) -> OrderClient:
    return get_adapter(shop.platform).client_class(shop_auth(shop), http)
