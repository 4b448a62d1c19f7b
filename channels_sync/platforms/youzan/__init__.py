"""Youzan Cloud (有赞云): trades.sold.get pulls, trade.get details, message pushes."""

from channels_sync.platforms.base import PlatformAdapter

from .client import GATEWAY, Client
from .mapping import extract_orders, normalize
from .push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="youzan",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=GATEWAY,
    push=PUSH_HANDLER,
)
