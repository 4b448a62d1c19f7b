"""Shopify Admin REST API (each shop on its own myshopify host) and its webhooks."""

from channels_sync.platforms.base import PlatformAdapter
from channels_sync.platforms.shopify.client import DEFAULT_BASE_URL, Client
from channels_sync.platforms.shopify.mapping import extract_orders, normalize
from channels_sync.platforms.shopify.push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="shopify",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=DEFAULT_BASE_URL,
    push=PUSH_HANDLER,
)
