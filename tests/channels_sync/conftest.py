from datetime import UTC, datetime

import httpx
import pytest

from channels_sync.platforms.base import ShopAuth
from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.server import RunningSandbox
from orderhub.models import Shop

PUSH_PLATFORMS = ("taobao", "pdd", "douyin", "youzan", "shopee", "lazada", "shopify")
ALL_PLATFORMS = ("taobao", "jd", *PUSH_PLATFORMS[1:])


@pytest.fixture
def sandbox():
    with RunningSandbox(demo_state()) as running:
        yield running


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.CHANNEL_RETRY_DELAY_SECONDS = 0
    settings.CHANNEL_RATE_LIMIT_SLEEP_FACTOR = 0.01
    settings.INBOUND_RETRY_DELAY_SECONDS = 0


def shop_auth(sandbox: RunningSandbox, platform: str, **overrides) -> ShopAuth:
    shop = demo_shop(platform)
    values = {
        "app_key": shop.app_key,
        "app_secret": shop.app_secret,
        "access_token": shop.access_token,
        "platform_shop_id": shop.shop_id,
        "base_url": sandbox.base_url(platform),
    }
    return ShopAuth(**(values | overrides))


def sandbox_shop(sandbox: RunningSandbox, platform: str, **fields) -> Shop:
    """An OrderHub shop wired to the sandbox's demo shop of that platform."""
    demo = demo_shop(platform)
    return Shop.objects.create(
        platform=platform,
        code=f"sb-{platform}",
        name=f"sandbox {platform}",
        platform_shop_id=demo.shop_id,
        credentials={
            "app_key": demo.app_key,
            "app_secret": demo.app_secret,
            "access_token": demo.access_token,
        },
        api_base_url=sandbox.base_url(platform),
        **fields,
    )


def recent(minutes_ago: int = 0) -> datetime:
    from datetime import timedelta

    return datetime.now(tz=UTC) - timedelta(minutes=minutes_ago)
