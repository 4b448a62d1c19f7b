"""Every refund sample in ../shared/fixtures maps to the right standard status through the seeded table."""

from decimal import Decimal

import pytest

from channels_sync.platforms.base import PayloadError
from channels_sync.platforms.refunds import refund_module
from refunds.services.mapping import mapped_status
from tests.conftest import load_fixture

pytestmark = pytest.mark.django_db

# fixture, platform, [(refund id, order id, type, raw status, amount, standard status)]
SAMPLES = [
    ("taobao/refunds_receive_get.json", "taobao", [
        ("9001", "500001084", "refund_only", "WAIT_SELLER_AGREE", "86.20", "requested"),
        ("9002", "500001050", "return_and_refund", "SUCCESS", "59.00", "refunded"),
    ]),
    ("jd/pop_afs_refundapply_querypagelist.json", "jd", [
        ("1000399977", "249786309732", "refund_only", "0", "1.00", "requested"),
        ("1000399978", "245752632276", "refund_only", "3", "29.90", "refunded"),
    ]),
    ("pdd/refund_list_increment_get.json", "pdd", [
        ("301851299", "180410-416081954561509", "return_and_refund", "10", "8.00", "refunded"),
    ]),
    ("doudian/afterSale_List.json", "douyin", [
        ("7438600000000000001", "6936476692437472563", "refund_only", "12", "0.01", "refunded"),
    ]),
    ("shopee/returns_get_return_list.json", "shopee", [
        ("200203171852695", "200203C6W0AR27", "return_and_refund", "CANCELLED", "1409.00", "closed"),
    ]),
    ("shopee/returns_get_return_detail.json", "shopee", [
        ("2206140TA5PM808", "220614T9XV8JTN", "refund_only", "ACCEPTED", "13.97", "refunded"),
    ]),
    ("lazada/reverse_getreverseordersforseller.json", "lazada", [
        ("501977696648153", "252883361348153", "refund_only", "REQUEST_INITIATE", "53.00", "requested"),
    ]),
    ("shopify/refunds_create_body.json", "shopify", [
        ("509562969", "450789469", "return_and_refund", "transaction_success", "209.00", "refunded"),
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("fixture", "platform", "expected"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_maps_to_the_right_standard_status(fixture, platform, expected):
    module = refund_module(platform)

    refunds = [module.normalize_refund(raw) for raw in module.extract_refunds(load_fixture(fixture))]

    got = [
        (r.platform_refund_id, r.platform_order_id, r.refund_type, r.raw_status, r.amount,
         mapped_status(platform=platform, raw_status=r.raw_status, refund_type=r.refund_type))
        for r in refunds
    ]  # fmt: skip
    assert got == [
        (rid, oid, kind, raw, Decimal(amount), status) for rid, oid, kind, raw, amount, status in expected
    ]


def test_normalized_refunds_round_trip_through_json():
    module = refund_module("taobao")
    refund = module.normalize_refund(
        module.extract_refunds(load_fixture("taobao/refunds_receive_get.json"))[0]
    )

    assert type(refund).from_json(refund.to_json()) == refund
    assert refund.lines[0].outer_sku_code == "B-C352-F301-356M"
    assert refund.platform_facts == {"refund_version": "1501225262000", "refund_phase": "onsale"}


def test_issue_seed_table_rows_are_in_the_mapping():
    assert mapped_status(platform="pdd", raw_status="平台介入成功", refund_type="refund_only") == "refunded"
    assert mapped_status(platform="douyin", raw_status="退款成功", refund_type="refund_only") == "refunded"
    assert mapped_status(platform="jd", raw_status="退款完成", refund_type="refund_only") == "refunded"
    assert mapped_status(platform="taobao", raw_status="退款关闭", refund_type="refund_only") == "closed"


def test_exchange_success_is_closed_not_refunded():
    assert mapped_status(platform="douyin", raw_status="12", refund_type="exchange") == "closed"
    assert mapped_status(platform="douyin", raw_status="12", refund_type="refund_only") == "refunded"


@pytest.mark.parametrize(
    "platform", ["taobao", "jd", "pdd", "douyin", "youzan", "shopee", "lazada", "shopify"]
)
def test_a_body_that_is_no_refund_response_is_a_payload_error(platform):
    with pytest.raises(PayloadError):
        refund_module(platform).extract_refunds({"unrelated": True})


def test_an_unknown_pdd_type_is_refused_not_guessed():
    raw = load_fixture("pdd/refund_list_increment_get.json")["refund_increment_get_response"]["refund_list"][
        0
    ]
    with pytest.raises(PayloadError, match="after_sales_type"):
        refund_module("pdd").normalize_refund({**raw, "after_sales_type": 99})


def test_pdd_amount_in_fen_is_read_too():
    raw = load_fixture("pdd/refund_list_increment_get.json")["refund_increment_get_response"]["refund_list"][
        0
    ]
    assert refund_module("pdd").normalize_refund({**raw, "refund_amount": 800}).amount == Decimal("8.00")
