"""The demo shops the sandbox serves; seed_demo gives OrderHub's demo shops the same credentials."""

from channels_sync.sandbox.core import SandboxShop, SandboxState

DEMO_SHOP_IDS = {
    "taobao": "57301882",
    "jd": "10088123",
    "pdd": "683021",
    "douyin": "4463798",
    "youzan": "160005103",
    "shopee": "220114567",
    "lazada": "SG1A2B3C",
    "shopify": "orderhub-demo.myshopify.com",
}


def demo_shop(platform: str) -> SandboxShop:
    return SandboxShop(
        platform=platform,
        shop_id=DEMO_SHOP_IDS[platform],
        app_key=f"{platform}-demo-app-key",
        app_secret=f"{platform}-demo-app-secret",
        access_token=f"{platform}-demo-access-token",
    )


def demo_state() -> SandboxState:
    state = SandboxState()
    for platform in DEMO_SHOP_IDS:
        state.add_shop(demo_shop(platform))
    return state
