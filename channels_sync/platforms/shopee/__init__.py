"""Shopee Open Platform v2: get_order_list pulls with get_order_detail batches, order status pushes."""

from channels_sync.platforms.base import PlatformAdapter

from .client import GATEWAY, Client
from .mapping import extract_orders, normalize
from .push import PUSH_HANDLER

ADAPTER = PlatformAdapter(
    name="shopee",
    client_class=Client,
    normalize=normalize,
    extract_orders=extract_orders,
    default_base_url=GATEWAY,
    push=PUSH_HANDLER,
)
