# ruff: noqa: F811 - pytest fixtures imported from warehouse_fixtures
"""Tracking: the Kuaidi100 and KDNiao clients (real request shapes, signatures, the stored samples),
polling shipped parcels, Kuaidi100's callback, delivered → completed, and shipped without a tracking
number → back-filled or raised."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from channels_sync.carriers.base import CarrierError
from channels_sync.carriers.gateway import kuaidi100_callback_salt, tracking_provider
from channels_sync.carriers.tracking import (
    KDNiao,
    Kuaidi100,
    kdniao_result,
    kdniao_sign,
    kuaidi100_callback_sign,
    kuaidi100_result,
    kuaidi100_sign,
)
from channels_sync.sandbox.logistics import set_traces
from fulfillment.models_warehouse import Parcel, TrackingEvent
from fulfillment.services.shipping import order_ship
from fulfillment.services.tracking import tracking_missing_scan, tracking_poll
from orderhub.events import Actor
from orderhub.models import Hold, Order, OrderEvent
from tests.factories import make_order, make_shop
from tests.fulfillment.warehouse_fixtures import (  # noqa: F401 - fixtures
    allocated_order,
    fast_retries,
    http,
    make_site,
    packed,
    sandbox,
    sandbox_shop,
    skus,
    stock_up,
)

pytestmark = pytest.mark.django_db
T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_samples_read_as_documented(fixture_json):
    signed = kuaidi100_result(fixture_json("logistics/kuaidi100_query_response_yuantong.json"), "x")
    assert (signed.kind, signed.found) == ("delivered", True)
    assert signed.traces[0].occurred_at < signed.traces[-1].occurred_at  # oldest first
    assert "已签收" in signed.traces[-1].description
    missing = kuaidi100_result(
        fixture_json("logistics/kuaidi100_query_response_not_found.json"), "884238800992987778"
    )
    assert (missing.found, missing.traces) == (False, [])
    kdniao = kdniao_result(fixture_json("logistics/kdniao_1002_response.json"), "12345678")
    assert (kdniao.kind, len(kdniao.traces)) == ("in_transit", 2)


def test_signatures_match_the_shared_vectors(fixture_json):
    vectors = {v["platform"]: v for v in fixture_json("_signing_vectors.json")["vectors"]}
    k100 = vectors["kuaidi100_query"]
    assert kuaidi100_sign(k100["param"], k100["key"], k100["customer"]) == k100["sign"]
    kdn = vectors["kdniao_1002"]
    assert kdniao_sign(kdn["RequestData"], kdn["app_key"]) == kdn["DataSign_before_urlencode"]
    assert quote(kdniao_sign(kdn["RequestData"], kdn["app_key"]), safe="") == kdn["DataSign"]


def test_both_providers_query_the_sandbox(sandbox, http, settings):
    settings.ORDERHUB_SANDBOX_URL = sandbox.url
    set_traces(sandbox.state, "YT100", "3", [(T, "【杭州】已揽收"), (T + timedelta(days=1), "已签收")])

    by_kuaidi100 = tracking_provider(http, "kuaidi100").query(carrier_code="YTO", tracking_number="YT100")
    by_kdniao = tracking_provider(http, "kdniao").query(carrier_code="YTO", tracking_number="YT100")

    for result in (by_kuaidi100, by_kdniao):
        assert result.kind == "delivered"
        assert [t.occurred_at for t in result.traces] == [T, T + timedelta(days=1)]
    _, _, sent = next(call for call in sandbox.state.received if call[0] == "kuaidi100")
    assert (sent["com"], sent["num"]) == ("yuantong", "YT100")
    _, _, sent = next(call for call in sandbox.state.received if call[0] == "kdniao")
    assert (sent["ShipperCode"], sent["LogisticCode"]) == ("YTO", "YT100")
    wrong = Kuaidi100(customer="SANDBOXCUSTOMER", key="wrong", http=http, base_url=f"{sandbox.url}/kuaidi100")
    with pytest.raises(CarrierError, match="验证签名失败"):
        wrong.query(carrier_code="YTO", tracking_number="YT100")
    unknown = KDNiao(business_id="1271962", app_key="wrong", http=http, base_url=f"{sandbox.url}/kdniao")
    with pytest.raises(CarrierError, match="签名错误"):
        unknown.query(carrier_code="YTO", tracking_number="YT100")


@pytest.fixture
def shipped(packed, settings, sandbox):
    settings.ORDERHUB_SANDBOX_URL = sandbox.url
    order, waybill, _, _ = packed
    order_ship(order_id=order.pk, actor=Actor.system("dock"))
    return order, waybill


def test_poll_records_collected_then_delivered_and_completes_the_order(shipped, sandbox, http):
    order, waybill = shipped
    set_traces(sandbox.state, waybill.number, "1", [(T, "【苏州】快件已被揽收")])

    assert tracking_poll(http=http)["collected"] == 1
    parcel = Parcel.objects.get(order=order)
    assert (parcel.collected_at, parcel.delivered_at) == (T, None)

    traces = [
        (T, "【苏州】快件已被揽收"),
        (T + timedelta(hours=20), "运输中"),
        (T + timedelta(days=2), "已签收"),
    ]
    set_traces(sandbox.state, waybill.number, "3", traces)
    figures = tracking_poll(http=http, provider_name="kdniao")

    assert (figures["delivered"], figures["collected"]) == (1, 0)
    parcel.refresh_from_db()
    order.refresh_from_db()
    assert (parcel.collected_at, parcel.delivered_at, parcel.status) == (
        T,
        T + timedelta(days=2),
        "delivered",
    )
    assert order.status == "completed"
    assert list(TrackingEvent.objects.filter(waybill=waybill).values_list("kind", flat=True)) == [
        "collected", "in_transit", "delivered",
    ]  # fmt: skip
    # Polling again changes nothing.
    assert tracking_poll(http=http)["polled"] == 0


def test_kuaidi100_callback(shipped, client, fixture_json):
    order, waybill = shipped
    param = fixture_json("logistics/kuaidi100_poll_callback_param.json")
    param["lastResult"]["nu"] = waybill.number
    text = json.dumps(param, ensure_ascii=False)

    refused = client.post("/warehouse/tracking/kuaidi100/", {"param": text, "sign": "0" * 32})
    assert refused.status_code == 400 and refused.json()["returnCode"] == "500"
    answer = client.post(
        "/warehouse/tracking/kuaidi100/",
        {"param": text, "sign": kuaidi100_callback_sign(text, kuaidi100_callback_salt())},
    )

    assert answer.status_code == 200
    assert answer.json() == fixture_json("logistics/kuaidi100_poll_callback_reply.json") | {"result": True}
    parcel = Parcel.objects.get(order=order)
    assert parcel.delivered_at is not None and parcel.collected_at < parcel.delivered_at
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_shipped_without_tracking_is_back_filled_or_raised(shipped):
    order, waybill = shipped
    Order.objects.filter(pk=order.pk).update(tracking_number="")
    elsewhere = make_order(make_shop(), "SHIPPED-ELSEWHERE", status="shipped")
    later = timezone.now() + timedelta(minutes=61)

    figures = tracking_missing_scan(now=later)

    assert figures == {"back_filled": 1, "raised": 1}
    assert Order.objects.get(pk=order.pk).tracking_number == waybill.number
    hold = Hold.objects.get(order=elsewhere, kind="stuck", status="open")
    assert "without a tracking number" in hold.reason
    # Raised once, not on every scan; not before the setting's minutes either.
    assert tracking_missing_scan(now=later) == {"back_filled": 0, "raised": 0}
    assert tracking_missing_scan(now=timezone.now()) == {"back_filled": 0, "raised": 0}
    assert OrderEvent.objects.filter(order=order, type="tracking_back_filled").count() == 1
