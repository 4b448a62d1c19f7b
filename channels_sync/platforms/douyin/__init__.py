"""Douyin shop (抖店, Doudian): signed open API calls and HTTP message pushes."""

from channels_sync.platforms.base import PlatformAdapter
from channels_sync.platforms.douyin.client import GATEWAY, Client
from channels_sync.platforms.douyin.mapping import extract_orders, normalize
from channels_sync.platforms.douyin.push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="douyin",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=GATEWAY,
    push=PUSH_HANDLER,
)
