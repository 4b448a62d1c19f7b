"""Each sandboxed platform's refund API end to end over HTTP: the poll lists the case, a rejection with its
reason goes back through the platform's decision API, and the next poll reads the platform's new status."""

from decimal import Decimal

import pytest

from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.sandbox.refunds import REJECTED, refund_create
from channels_sync.services.pull import shop_pull
from orderhub.events import Actor
from refunds.models import Refund
from refunds.services.decide import refund_decide
from refunds.services.poll import shop_refunds_poll
from tests.refunds.conftest import recent, sandbox_shop, settle

pytestmark = pytest.mark.django_db
PLATFORMS = ("taobao", "jd", "pdd", "douyin", "youzan", "shopee", "lazada")
EXPECTED_RAW = {
    "taobao": ("WAIT_SELLER_AGREE", "SELLER_REFUSE_BUYER", "rejected"),
    "jd": ("0", "2", "rejected"),
    "pdd": ("2", "6", "rejected"),
    "douyin": ("6", "27", "rejected"),
    "youzan": ("WAIT_SELLER_AGREE", "SELLER_REFUSE_BUYER", "rejected"),
    "shopee": ("REQUESTED", "CLOSED", "closed"),  # Shopee has no "rejected": a lost dispute closes
    "lazada": ("REQUEST_INITIATE", "REQUEST_REJECT", "rejected"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_poll_reject_and_poll_again(platform, sandbox, inline_tasks, django_capture_on_commit_callbacks):
    shop = sandbox_shop(sandbox, platform)
    fake = generate_order(sandbox.state, demo_shop(platform), status="paid", now=recent(5))
    shop_pull(shop=shop)  # the order reaches OrderHub through the order pull
    case = refund_create(sandbox.state, fake, amount=Decimal("66.00"), reason="拍错了")
    requested_raw, rejected_raw, rejected_status = EXPECTED_RAW[platform]

    first = settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    refund = Refund.objects.get(shop=shop, platform_refund_id=case.refund_id)
    assert first["ok"], first
    assert (refund.raw_status, refund.status, refund.amount) == (requested_raw, "requested", Decimal("66.00"))
    assert refund.order is not None and refund.review_state == "queued"

    settle(
        django_capture_on_commit_callbacks,
        lambda: refund_decide(
            refund_id=refund.pk, approve=False, reason="商品已发出", actor=Actor.system("t")
        ),
    )
    refund.refresh_from_db()
    assert refund.decision_state == "sent", refund.decision_error
    assert case.state == REJECTED and sandbox.state.received[-1][0] == platform

    settle(django_capture_on_commit_callbacks, lambda: shop_refunds_poll(shop=shop))
    refund.refresh_from_db()
    assert (refund.raw_status, refund.status) == (rejected_raw, rejected_status)
    assert not refund.order.holds.filter(kind="refund", status="open").exists()  # the intercept is lifted


@pytest.mark.parametrize("platform", ("taobao", "pdd", "douyin", "youzan", "lazada", "shopify"))
def test_a_refund_push_is_stored_raw_then_read_and_applied(
    platform, client, sandbox, inline_tasks, django_capture_on_commit_callbacks
):
    from channels_sync.models import InboundEvent
    from channels_sync.sandbox.refunds import refund_push_body
    from channels_sync.services.inbound import inbound_drain
    from tests.refunds.conftest import ingest_order, post_push

    shop = sandbox_shop(sandbox, platform)
    fake, order = ingest_order(client, sandbox, platform)
    case = refund_create(sandbox.state, fake, amount=Decimal("70.00"), reason="不想要了")
    pushing = sandbox.state.shop(platform, fake.shop_id)
    body = refund_push_body(case, pushing)
    if platform == "shopify":
        from channels_sync.sandbox.refunds import shopify_push_headers

        headers = {
            f"HTTP_{k.upper().replace('-', '_')}": v for k, v in shopify_push_headers(body, pushing).items()
        }
        headers.pop("HTTP_CONTENT_TYPE")
        response = client.post("/hooks/shopify/", data=body, content_type="application/json", **headers)
    else:
        response = post_push(client, platform, body, pushing)

    assert response.status_code == 200, response.content
    stored = InboundEvent.objects.get(kind="refund")
    assert stored.status == "pending" and stored.shop == shop  # stored raw before anything reads it
    settle(django_capture_on_commit_callbacks, inbound_drain)
    stored.refresh_from_db()
    refund = Refund.objects.get(shop=shop)
    assert (stored.status, stored.result) == ("done", "announced")
    assert (refund.platform_refund_id, refund.amount, refund.order_id) == (
        case.refund_id,
        Decimal("70.00"),
        order.pk,
    )
    assert refund.status == ("refunded" if platform == "shopify" else "requested")
