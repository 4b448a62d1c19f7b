"""JD (京东 JOS) POP orders; JD does not push over HTTP, so orders are polled."""

from channels_sync.platforms.base import PlatformAdapter
from channels_sync.platforms.jd.client import GATEWAY, Client
from channels_sync.platforms.jd.mapping import extract_orders, normalize

ADAPTER = PlatformAdapter(
    name="jd",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=GATEWAY,
    push=None,
)
