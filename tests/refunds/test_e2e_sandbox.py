"""End to end over HTTP against the sandbox: platform refund → webhook / poll → stored raw → drain →
refund_apply → intercept / policy → decision sent back through the platform's API."""

from datetime import timedelta
from decimal import Decimal

import pytest

from channels_sync.models import InboundEvent
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.refunds import REFUNDED, refund_create, refund_push_body, refunds_of
from channels_sync.services.inbound import inbound_drain
from fulfillment.models import Allocation, AllocationStatus, Stock
from fulfillment.models_warehouse import PackScan, ScanResult
from fulfillment.services.stock import AllocationRequest, stock_allocate
from orderhub.events import Actor
from orderhub.models import Hold, OrderLineSku, OrderStatus
from orderhub.ops.models import Alert
from orderhub.roles import WAREHOUSE
from refunds.models import DecisionState, Refund, ReviewState
from refunds.services.decide import refund_decide
from refunds.services.poll import shop_refunds_poll
from refunds.services.review import reviews_sweep
from tests.factories import make_user
from tests.refunds.conftest import ingest_order, post_push, recent, sandbox_shop, settle

pytestmark = pytest.mark.django_db


def allocate(order, warehouse_code="wh-refunds"):
    requests = [
        AllocationRequest(
            item.line_id, item.sku_id, Stock.objects.get(sku_id=item.sku_id).warehouse_id, item.quantity
        )
        for item in OrderLineSku.objects.filter(line__order=order)
    ]
    return stock_allocate(order_id=order.pk, requests=requests, actor=Actor.system("test"))


def test_refund_before_shipping_stops_the_parcel_and_approval_releases_the_stock(
    client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    # Given a paid Taobao order in OrderHub whose stock is reserved
    shop = sandbox_shop(sandbox, "taobao")
    fake, order = ingest_order(client, sandbox, "taobao", stock=50)
    allocations = allocate(order)
    assert allocations and all(a.status == AllocationStatus.ACTIVE for a in allocations)
    # When the buyer asks the platform for a full refund and TMC pushes RefundCreated
    case = refund_create(sandbox.state, fake, reason="不想要了")
    sandbox_shop_row = sandbox.state.shop("taobao", fake.shop_id)
    assert (
        post_push(client, "taobao", refund_push_body(case, sandbox_shop_row), sandbox_shop_row).status_code
        == 200
    )
    stored = InboundEvent.objects.get(kind="refund")
    assert stored.needs_fetch and stored.external_id == case.refund_id
    settle(django_capture_on_commit_callbacks, inbound_drain)
    # Then the refund is stored with the platform status mapped, and the order is stopped
    refund = Refund.objects.get(shop=shop, platform_refund_id=case.refund_id)
    assert (refund.status, refund.raw_status, refund.amount) == (
        "requested",
        "WAIT_SELLER_AGREE",
        fake.paid_amount,
    )
    assert refund.order_id == order.pk and refund.intercepted
    hold = Hold.objects.get(order=order, kind="refund", status="open")
    assert refund.platform_refund_id in hold.reason
    assert order.events.filter(type="refund_intercepted").exists()
    assert "refunds.tasks.refund_apply" in inline_tasks
    # And the pack-scan station refuses the order, naming the refund hold
    client.force_login(make_user("cangku-e2e", groups=[WAREHOUSE]))
    station = client.post("/warehouse/pack/", {"barcode": order.platform_order_id})
    assert station.status_code == 200 and "On hold" in station.content.decode()
    assert PackScan.objects.filter(order=order, result=ScanResult.REFUSED).exists()
    # The full amount is above the auto-approve threshold: a reviewer decides
    assert fake.paid_amount >= Decimal("50") and refund.review_state == ReviewState.QUEUED
    # When the reviewer approves
    settle(
        django_capture_on_commit_callbacks,
        lambda: refund_decide(refund_id=refund.pk, approve=True, reason="", actor=Actor.system("reviewer")),
    )
    # Then the decision went to Taobao's API, and the reserved stock is released
    refund.refresh_from_db()
    assert refund.decision_state == DecisionState.SENT
    assert ("taobao", "taobao.rp.refunds.agree") in [(p, api) for p, api, _ in sandbox.state.received]
    assert case.state == REFUNDED
    assert not Allocation.objects.filter(line__order=order, status=AllocationStatus.ACTIVE).exists()
    assert Hold.objects.filter(order=order, kind="refund", status="open").exists()  # still must not ship
    # And the next poll reads the platform's SUCCESS: newer wins, the refund is refunded
    polled = settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    refund.refresh_from_db()
    assert polled["ok"] and polled["stored"] == 1, polled
    assert (refund.status, refund.raw_status) == ("refunded", "SUCCESS")


def test_refund_after_delivery_is_auto_approved_under_the_threshold_after_the_silent_period(
    client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    # Given a Douyin order delivered (completed) and a small no-reason refund the buyer asked for
    shop = sandbox_shop(sandbox, "douyin")
    fake, order = ingest_order(client, sandbox, "douyin", status="completed")
    assert order.status == OrderStatus.COMPLETED
    case = refund_create(sandbox.state, fake, amount=Decimal("19.90"), reason="七天无理由退货")
    sandbox_shop_row = sandbox.state.shop("douyin", fake.shop_id)
    post_push(client, "douyin", refund_push_body(case, sandbox_shop_row), sandbox_shop_row)
    settle(django_capture_on_commit_callbacks, inbound_drain)
    # Then within the 24 h silent period it waits
    refund = Refund.objects.get(shop=shop, platform_refund_id=case.refund_id)
    assert (refund.status, refund.review_state, refund.policy_action) == ("requested", "waiting", "wait"), (
        refund.policy_reason
    )
    assert not sandbox.state.received
    # When the silent period is over, the sweep auto-approves it through Doudian's afterSale/operate
    settle(django_capture_on_commit_callbacks, lambda: reviews_sweep(now=recent() + timedelta(hours=25)))
    refund.refresh_from_db()
    assert (refund.decision, refund.decision_state, refund.policy_action) == ("approve", "sent", "approve")
    assert [api for _, api, _ in sandbox.state.received] == ["afterSale.operate"]
    assert refund.events.filter(type="decision_sent").exists()


def test_a_review_untouched_for_24_hours_escalates_with_an_alert(
    client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    # Given a refund above the threshold polled from PDD, waiting for a reviewer
    shop = sandbox_shop(sandbox, "pdd")
    fake, _order = ingest_order(client, sandbox, "pdd", status="shipped")
    case = refund_create(
        sandbox.state, fake, amount=Decimal("88.00"), reason="质量问题", refund_type="return_and_refund"
    )
    settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    refund = Refund.objects.get(shop=shop, platform_refund_id=case.refund_id)
    assert refund.review_state == ReviewState.QUEUED and refund.return_expected
    # When 23 hours pass nothing happens; after 24 the supervisor is alerted
    assert reviews_sweep(now=refund.queued_at + timedelta(hours=23))["escalated"] == 0
    report = reviews_sweep(now=refund.queued_at + timedelta(hours=24, minutes=1))
    refund.refresh_from_db()
    assert report["escalated"] == 1 and refund.review_state == ReviewState.ESCALATED
    alert = Alert.objects.get(key=f"refund-escalation:{refund.pk}")
    assert case.refund_id in alert.message and alert.status == "open"
    assert reviews_sweep(now=refund.queued_at + timedelta(hours=30))["escalated"] == 0  # once


def test_the_poll_stores_each_case_raw_once_and_moves_its_cursor(
    client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    shop = sandbox_shop(sandbox, "pdd")
    fake, _ = ingest_order(client, sandbox, "pdd")
    refund_create(sandbox.state, fake, amount=Decimal("88.00"))  # above the threshold: waits for a person
    first = settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    again = settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    assert (
        first["ok"] and first["stored"] == 1 and again["stored"] == 0
    )  # the overlap re-reads, stores nothing
    assert InboundEvent.objects.filter(kind="refund", source="pull").count() == 1
    assert Refund.objects.filter(shop=shop).count() == 1
    assert len(refunds_of(sandbox.state)[("pdd", demo_shop("pdd").shop_id)]) == 1


def test_shopify_refunds_create_webhook_is_applied_from_its_body_and_the_poll_agrees(
    client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    from channels_sync.sandbox.refunds import shopify_push_body, shopify_push_headers

    # Given a paid Shopify order in OrderHub, and the merchant refunds part of it on Shopify
    shop = sandbox_shop(sandbox, "shopify")
    fake, order = ingest_order(client, sandbox, "shopify")
    case = refund_create(sandbox.state, fake, amount=Decimal("12.50"), reason="damaged in transit")
    sandbox_shop_row = sandbox.state.shop("shopify", fake.shop_id)
    body = shopify_push_body(case, sandbox_shop_row)
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in shopify_push_headers(body, sandbox_shop_row).items()
    }
    headers.pop("HTTP_CONTENT_TYPE")
    # When Shopify sends refunds/create
    response = client.post("/hooks/shopify/", data=body, content_type="application/json", **headers)
    assert response.status_code == 200
    settle(django_capture_on_commit_callbacks, inbound_drain)
    # Then the refund is read from the body itself (no fetch), refunded, on the order
    refund = Refund.objects.get(shop=shop)
    stored = InboundEvent.objects.get(kind="refund")
    assert not stored.needs_fetch and stored.result == "announced"
    assert (refund.status, refund.raw_status, refund.amount, refund.order_id) == (
        "refunded", "transaction_success", Decimal("12.50"), order.pk,
    )  # fmt: skip
    # And the next poll (orders updated in the window carry their refunds) finds the same refund once
    polled = settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    assert polled["ok"] and Refund.objects.filter(shop=shop).count() == 1


def test_a_decision_the_platform_could_not_take_is_recorded_and_sent_again(
    client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    shop = sandbox_shop(sandbox, "pdd")
    fake, _ = ingest_order(client, sandbox, "pdd")
    case = refund_create(sandbox.state, fake, amount=Decimal("99.00"))
    settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    refund = Refund.objects.get(shop=shop)
    # When PDD's gateway answers 503 to every attempt of the call (and its retries)
    sandbox.state.faults.fail_next = 20
    settle(
        django_capture_on_commit_callbacks,
        lambda: refund_decide(refund_id=refund.pk, approve=True, reason="", actor=Actor.system("reviewer")),
    )
    refund.refresh_from_db()
    assert (refund.decision_state, refund.decision_attempts) == ("failed", 1)
    assert refund.events.get(type="decision_failed").parameters["will_retry"] is True
    # Then the sweep sends it again once the platform answers
    sandbox.state.faults.fail_next = 0
    assert reviews_sweep()["resent"] == 1
    refund.refresh_from_db()
    assert (refund.decision_state, refund.decision_attempts) == ("sent", 2)
    assert case.state == REFUNDED
