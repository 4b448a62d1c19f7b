"""Taobao / Tmall through the TOP gateway; pushes are TMC messages relayed over HTTP."""

from channels_sync.platforms.base import PlatformAdapter
from channels_sync.platforms.taobao.client import GATEWAY, Client
from channels_sync.platforms.taobao.mapping import extract_orders, normalize
from channels_sync.platforms.taobao.push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="taobao",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=GATEWAY,
    push=PUSH_HANDLER,
)
