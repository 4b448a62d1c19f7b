"""Pinduoduo (拼多多): gw-api router calls, PMC messages through the HTTP relay."""

from channels_sync.platforms.base import PlatformAdapter
from channels_sync.platforms.pdd.client import GATEWAY, Client
from channels_sync.platforms.pdd.mapping import extract_orders, normalize
from channels_sync.platforms.pdd.push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="pdd",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=GATEWAY,
    push=PUSH_HANDLER,
)
