import io
import json

import pytest
from django.core.management import CommandError, call_command

from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from orderhub.models import Order
from tests.channels_sync.conftest import recent, sandbox_shop
from tests.conftest import FIXTURES


def normalize(platform: str, path) -> list[dict]:
    out = io.StringIO()
    call_command("normalize", "--platform", platform, str(path), stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("platform", "sample", "first_id"),
    [
        ("taobao", "taobao/trades_sold_increment_get.json", None),  # a list response
        ("taobao", "taobao/trade_fullinfo_get.json", "500001084"),  # a detail response
        ("youzan", "youzan/push_trade_TradePaid.json", None),  # a push body carrying the order
        ("shopify", "shopify/orders_create_body.json", None),
        ("douyin", "doudian/order_orderDetail.json", None),
    ],
)
def test_normalize_prints_the_documented_keys(platform, sample, first_id):
    orders = normalize(platform, FIXTURES / sample)

    assert orders
    order = orders[0]
    assert set(order) == {
        "platform",
        "platform_order_id",
        "status",
        "raw_status",
        "currency",
        "goods_amount",
        "shipping_fee",
        "discount",
        "paid_amount",
        "created_at",
        "paid_at",
        "updated_at",
        "buyer_id",
        "buyer_remark",
        "receiver",
        "lines",
    }
    assert set(order["receiver"]) == {"name", "phone", "province", "city", "district", "detail"}
    assert set(order["lines"][0]) == {
        "platform_sku_id",
        "outer_sku_code",
        "title",
        "quantity",
        "unit_price",
        "paid_amount",
    }
    assert order["status"] in {"pending_payment", "paid", "shipped", "completed", "cancelled"}
    assert isinstance(order["paid_amount"], str) and "." in order["paid_amount"]
    assert order["created_at"].endswith("+08:00")
    if first_id:
        assert order["platform_order_id"] == first_id


def test_normalize_keeps_long_ids_exact():
    order = normalize("douyin", FIXTURES / "doudian/order_orderDetail.json")[0]

    assert len(order["platform_order_id"]) > 16 and order["platform_order_id"].isdigit()


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{not json", "not JSON"), ('{"hello": "world"}', ""), ("[]", "")],
)
def test_normalize_rejects_unreadable_input_with_exit_code_2(tmp_path, content, reason):
    path = tmp_path / "payload.json"
    path.write_text(content)

    with pytest.raises(CommandError) as error:
        normalize("taobao", path)

    assert error.value.returncode == 2
    assert reason in str(error.value) and "\n" not in str(error.value)


def test_normalize_names_a_trigger_only_push():
    with pytest.raises(CommandError) as error:
        normalize("taobao", FIXTURES / "taobao/tmc_message_TradeBuyerPay.json")

    assert error.value.returncode == 2
    assert "fetch the detail" in str(error.value)


def test_normalize_missing_file(tmp_path):
    with pytest.raises(CommandError) as error:
        normalize("jd", tmp_path / "nope.json")

    assert error.value.returncode == 2


@pytest.mark.django_db
def test_pull_orders_command_pulls_a_window_and_reports(sandbox):
    shop = sandbox_shop(sandbox, "jd")
    for minutes in range(3):
        generate_order(sandbox.state, demo_shop("jd"), status="paid", now=recent(minutes + 5))
    out = io.StringIO()

    call_command(
        "pull_orders",
        "--shop",
        shop.code,
        "--since",
        recent(60).isoformat(),
        stdout=out,
        stderr=io.StringIO(),
    )

    assert Order.objects.filter(shop=shop).count() == 3
    assert "3 new" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shop", "nope"], "no shop 'nope'"),
        (["--shop", "sb-jd", "--since", "yesterday"], "not a date"),
        (["--shop", "sb-jd", "--since", "2026-11-10", "--until", "2026-11-09"], "before --until"),
    ],
)
def test_pull_orders_command_rejects_bad_arguments(sandbox, args, message):
    sandbox_shop(sandbox, "jd")

    with pytest.raises(CommandError, match=message):
        call_command("pull_orders", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_pull_orders_command_fails_loudly_on_an_expired_token(sandbox):
    shop = sandbox_shop(sandbox, "taobao")
    shop.credentials = shop.credentials | {"access_token": "expired"}
    shop.save()

    with pytest.raises(CommandError, match="authorisation expired"):
        call_command("pull_orders", "--shop", shop.code, stdout=io.StringIO(), stderr=io.StringIO())
