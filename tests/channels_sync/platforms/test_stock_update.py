"""Every platform's stock update against the sandbox over HTTP: the write the platform receives, a bad
token, a throttled call retried, and a negative quantity refused with the platform's parameter error."""

import json

import httpx
import pytest

from channels_sync.platforms.base import AuthExpired, PlatformError
from channels_sync.platforms.registry import get_adapter
from channels_sync.stock import shop_stock_update
from tests.channels_sync.conftest import ALL_PLATFORMS, sandbox_shop, shop_auth

SKU_ID = "4242424200"
ITEM_ID = "42424242"
OUTER = "ZP-2026-01"
EXTRA = {"item_ids": {SKU_ID: ITEM_ID}, "location_id": "905684977"}


def client(sandbox, http, platform, **overrides):
    auth = shop_auth(sandbox, platform, extra=EXTRA, **overrides)
    return get_adapter(platform).client_class(auth, http)


def writes(sandbox):
    return list(sandbox.state.received)


def expected_write(platform: str, quantity: int) -> tuple[str, dict]:
    """What each platform records, in its own parameter names (form values are strings)."""
    return {
        "taobao": (
            "taobao.item.quantity.update",
            {"num_iid": ITEM_ID, "sku_id": SKU_ID, "outer_id": OUTER, "quantity": str(quantity), "type": "1"},
        ),
        "jd": ("jingdong.stock.write.updateSkuStock", {"skuId": SKU_ID, "stockNum": quantity}),
        "pdd": (
            "pdd.goods.quantity.update",
            {
                "goods_id": ITEM_ID,
                "sku_id": SKU_ID,
                "outer_id": OUTER,
                "quantity": str(quantity),
                "update_type": "1",
            },
        ),
        "douyin": ("sku.syncStock", {"sku_id": int(SKU_ID), "stock_num": quantity, "incremental": False}),
        "youzan": (
            "youzan.item.quantity.update",
            {"item_id": int(ITEM_ID), "sku_id": int(SKU_ID), "quantity": quantity, "type": 0},
        ),
        "shopee": (
            "/api/v2/product/update_stock",
            {
                "item_id": int(ITEM_ID),
                "stock_list": [{"model_id": int(SKU_ID), "seller_stock": [{"stock": quantity}]}],
            },
        ),
        "lazada": (
            "/product/stock/sellable/update",
            {"payload": [{"SellableQuantity": quantity, "SellerSku": OUTER, "SkuId": SKU_ID}]},
        ),
        "shopify": (
            "/inventory_levels/set.json",
            {"location_id": 905684977, "inventory_item_id": int(ITEM_ID), "available": quantity},
        ),
    }[platform]


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_update_stock_writes_the_quantity_in_the_platforms_own_parameters(sandbox, http, platform):
    # given a shop client pointed at the sandbox
    subject = client(sandbox, http, platform)
    # when its stock is set to 17
    subject.update_stock(platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=17)
    # then the platform received one write with its real API name, parameter names and the quantity
    assert writes(sandbox) == [(platform, *expected_write(platform, 17))]


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_zero_is_a_valid_quantity(sandbox, http, platform):
    client(sandbox, http, platform).update_stock(platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=0)
    assert writes(sandbox) == [(platform, *expected_write(platform, 0))]


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_a_bad_token_is_auth_expired_and_writes_nothing(sandbox, http, platform):
    subject = client(sandbox, http, platform, access_token="revoked-token")
    with pytest.raises(AuthExpired):
        subject.update_stock(platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=5)
    assert writes(sandbox) == []


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_a_throttled_write_is_retried_and_lands_once(sandbox, http, platform):
    # given the platform throttles the next call
    sandbox.state.faults.throttle_next = 1
    # when the stock is written
    client(sandbox, http, platform).update_stock(platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=9)
    # then the second attempt wrote it, once
    assert writes(sandbox) == [(platform, *expected_write(platform, 9))]
    assert sandbox.state.faults.throttle_next == 0


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_the_sandbox_refuses_a_negative_quantity_with_the_platforms_parameter_error(sandbox, http, platform):
    # the client never sends one (shop_stock_update refuses first), so call the sandbox as a raw client would
    subject = client(sandbox, http, platform)
    with pytest.raises(PlatformError) as refused:
        subject.update_stock(platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=-1)
    assert not isinstance(refused.value, AuthExpired)
    assert not refused.value.retryable
    assert writes(sandbox) == []


@pytest.mark.parametrize("platform", ["taobao", "pdd", "shopee", "youzan", "shopify"])
def test_a_platform_needing_the_item_id_says_so_when_the_shop_lacks_it(sandbox, http, platform):
    auth = shop_auth(sandbox, platform, extra={"location_id": EXTRA["location_id"]})
    subject = get_adapter(platform).client_class(auth, http)
    with pytest.raises(PlatformError, match="item_ids"):
        subject.update_stock(platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=3)
    assert writes(sandbox) == []


def test_lazada_signs_the_payload_with_the_query(sandbox, http):
    # given a call whose signature was made without the payload
    auth = shop_auth(sandbox, "lazada")
    params = {"app_key": auth.app_key, "timestamp": "1", "access_token": auth.access_token}
    params |= {"sign_method": "sha256", "sign": "0" * 64}
    # when it is sent
    response = http.post(
        f"{auth.base_url}/product/stock/sellable/update", params=params, data={"payload": json.dumps({})}
    )
    # then Lazada refuses it and records nothing
    assert response.json()["code"] == "IncompleteSignature"
    assert writes(sandbox) == []


@pytest.mark.django_db
def test_shop_stock_update_goes_through_the_shops_client(sandbox, http):
    shop = sandbox_shop(sandbox, "jd")
    shop_stock_update(shop=shop, platform_sku_id=SKU_ID, outer_sku_code=OUTER, quantity=4, http=http)
    assert writes(sandbox) == [("jd", *expected_write("jd", 4))]


@pytest.mark.django_db
@pytest.mark.parametrize("quantity, sku_id, outer", [(-1, SKU_ID, OUTER), (3, "", "")])
def test_shop_stock_update_refuses_bad_input_before_calling(sandbox, quantity, sku_id, outer):
    shop = sandbox_shop(sandbox, "jd")
    with httpx.Client() as http, pytest.raises(ValueError):
        shop_stock_update(
            shop=shop, platform_sku_id=sku_id, outer_sku_code=outer, quantity=quantity, http=http
        )
    assert writes(sandbox) == []
