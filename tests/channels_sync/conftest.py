import httpx
import pytest

from channels_sync.platforms.base import ShopAuth
from channels_sync.sandbox.demo import demo_shop, demo_state
from channels_sync.sandbox.server import RunningSandbox


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
