"""Lazada Open Platform (regional gateways; Singapore by default, the shop's base_url picks its region)."""

from channels_sync.platforms.base import PlatformAdapter
from channels_sync.platforms.lazada.client import DEFAULT_BASE_URL, Client
from channels_sync.platforms.lazada.mapping import extract_orders, normalize
from channels_sync.platforms.lazada.push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="lazada",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=DEFAULT_BASE_URL,
    push=PUSH_HANDLER,
)
