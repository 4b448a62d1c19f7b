"""Shop.platform → that platform's adapter package."""

import importlib

from channels_sync.platforms.base import PlatformAdapter

PLATFORM_NAMES = ("taobao", "jd", "pdd", "douyin", "youzan", "shopee", "lazada", "shopify")


def get_adapter(platform: str) -> PlatformAdapter:
    if platform not in PLATFORM_NAMES:
        raise LookupError(f"no adapter for platform {platform!r}; known: {', '.join(PLATFORM_NAMES)}")
    return importlib.import_module(f"channels_sync.platforms.{platform}").ADAPTER
