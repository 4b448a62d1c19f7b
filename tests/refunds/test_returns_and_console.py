"""Returns in (scan, inspect, stock back, refund moves on) and the refunds console (queue, reject with a
reason, sync delay per platform)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment.models import Stock, StockAdjustment, Warehouse
from orderhub.events import Actor
from orderhub.models import Order, Sku
from orderhub.normalized_refund import NormalizedRefund, NormalizedRefundLine
from orderhub.roles import CUSTOMER_SERVICE, WAREHOUSE
from refunds.models import Refund, ReturnParcel
from refunds.services.apply import refund_apply
from tests.factories import line, make_order, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Decisions are recorded; their sending (a task) is captured instead of queued."""
    import refunds.services.decide

    queued = []
    monkeypatch.setattr(refunds.services.decide, "async_task", lambda func, **kw: queued.append((func, kw)))
    return queued


def shipped_order_with_a_return(
    django_capture_on_commit_callbacks, *, amount="120.00", raw="WAIT_BUYER_RETURN_GOODS"
):
    shop = make_shop("taobao")
    sku = Sku.objects.create(code="CAT-DRY-1K5", name="猫粮", barcode="6901234567890", price=Decimal("60"))
    order = make_order(shop, "T-900", lines=[line("CAT-DRY-1K5", 2, "60.00")])
    Order.objects.filter(pk=order.pk).update(status="shipped", tracking_number="SF1234567890")
    incoming = NormalizedRefund(
        platform="taobao",
        platform_refund_id="RF-77",
        platform_order_id="T-900",
        refund_type="return_and_refund",
        raw_status=raw,
        amount=Decimal(amount),
        platform_modified_at=timezone.now(),
        reason="尺码不合适",
        return_tracking_number="YT9988776655",
        lines=(NormalizedRefundLine(outer_sku_code="CAT-DRY-1K5", quantity=2, amount=Decimal(amount)),),
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = refund_apply(shop=shop, incoming=incoming, actor=Actor.channel("test"))
    return Refund.objects.get(pk=outcome.refund_id), sku


def test_a_shipped_orders_return_is_expected_scanned_inspected_and_restocked(
    client, sent, django_capture_on_commit_callbacks
):
    refund, sku = shipped_order_with_a_return(django_capture_on_commit_callbacks)
    parcel = ReturnParcel.objects.get(refund=refund)
    assert (refund.status, refund.return_expected, parcel.state) == ("approved", True, "expected")
    warehouse = Warehouse.objects.create(code="sz", name="苏州仓", province="江苏省", city="苏州市")
    client.force_login(make_user("cangku1", groups=[WAREHOUSE]))
    # The station finds it by the return waybill and by the order number; an unknown code is answered
    for code in ("YT9988776655", "T-900"):
        page = client.get("/refunds/returns/scan/", {"code": code})
        assert page.status_code == 200 and f'data-parcel="{parcel.pk}"' in page.content.decode()
    assert (
        "No return is expected" in client.get("/refunds/returns/scan/", {"code": "nothing"}).content.decode()
    )
    # One unit good, one damaged
    response = client.post(
        "/refunds/returns/scan/",
        {
            "parcel": parcel.pk,
            "warehouse": warehouse.pk,
            "code": "T-900",
            "sku": [sku.pk, sku.pk],
            "quantity": ["1", "1"],
            "condition": ["good", "damaged"],
        },
    )
    assert response.status_code == 302
    assert Stock.objects.get(warehouse=warehouse, sku=sku).on_hand == 1  # only the good unit
    assert StockAdjustment.objects.get().source == "return"
    parcel.refresh_from_db()
    refund.refresh_from_db()
    assert parcel.state == "inspected" and parcel.inspections.count() == 2
    assert refund.review_state == "queued"  # damaged goods: a person decides
    assert refund.events.filter(type="return_inspected").exists()


def test_all_good_returns_approve_the_refund(client, sent, django_capture_on_commit_callbacks):
    refund, sku = shipped_order_with_a_return(django_capture_on_commit_callbacks)
    warehouse = Warehouse.objects.create(code="hf", name="合肥仓", province="安徽省", city="合肥市")
    client.force_login(make_user("cangku2", groups=[WAREHOUSE]))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/refunds/returns/scan/",
            {
                "parcel": refund.parcel.pk,
                "warehouse": warehouse.pk,
                "sku": [sku.pk],
                "quantity": ["2"],
                "condition": ["good"],
            },
        )

    refund.refresh_from_db()
    assert (refund.decision, refund.decision_state) == ("approve", "pending")
    assert sent == [
        (
            "refunds.tasks.refund_decision_send",
            {"refund_id": refund.pk, "task_name": f"refund decision {refund.pk}"},
        )
    ]
    assert Stock.objects.get(warehouse=warehouse, sku=sku).on_hand == 2


def test_an_inspection_with_bad_input_is_refused_and_loses_nothing(
    client, sent, django_capture_on_commit_callbacks
):
    refund, sku = shipped_order_with_a_return(django_capture_on_commit_callbacks)
    client.force_login(make_user("cangku3", groups=[WAREHOUSE]))

    response = client.post(
        "/refunds/returns/scan/", {"parcel": refund.parcel.pk, "sku": [sku.pk]}, follow=True
    )

    assert "incomplete" in response.content.decode()
    assert ReturnParcel.objects.get().state == "expected" and not StockAdjustment.objects.exists()


def test_the_reject_action_asks_for_a_reason_and_sends_it(client, sent, django_capture_on_commit_callbacks):
    shop = make_shop("pdd")
    make_order(shop, "P-1", lines=[line("SKU-A", 1, "99.00")])
    incoming = NormalizedRefund(
        platform="pdd",
        platform_refund_id="PR-1",
        platform_order_id="P-1",
        refund_type="refund_only",
        raw_status="2",
        amount=Decimal("99.00"),
        platform_modified_at=datetime.now(UTC) - timedelta(minutes=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        refund_id = refund_apply(
            shop=shop, incoming=incoming, actor=Actor.channel("test"), stored_at=datetime.now(UTC)
        ).refund_id
    client.force_login(make_user("kefu9", groups=[CUSTOMER_SERVICE]))
    changelist = "/admin/refunds/refund/"
    # The list shows the queue and the average sync delay of PDD (about 3 minutes)
    page = client.get(changelist).content.decode()
    assert 'data-platform="pdd"' in page and "PR-1" in page
    assert 170 < Refund.objects.get().sync_delay_seconds < 200
    # Reject without a reason: the form asks for one and nothing is decided
    form = client.post(changelist, {"action": "reject", "_selected_action": [refund_id]})
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    empty = client.post(
        changelist,
        {"action": "reject", "_selected_action": [refund_id], "confirm_reject": "1", "reason": " "},
    )
    assert "needs a reason" in empty.content.decode() and Refund.objects.get().decision == ""
    # With a reason it is recorded and queued for sending to PDD
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            changelist,
            {
                "action": "reject",
                "_selected_action": [refund_id],
                "confirm_reject": "1",
                "reason": "商品已发出",
            },
        )
    refund = Refund.objects.get()
    assert done.status_code == 302
    assert (refund.decision, refund.decision_reason, refund.decision_state) == (
        "reject",
        "商品已发出",
        "pending",
    )
    assert [func for func, _ in sent] == ["refunds.tasks.refund_decision_send"]


def test_warehouse_staff_cannot_decide_refunds(client):
    client.force_login(make_user("cangku4", groups=[WAREHOUSE]))
    page = client.get("/admin/refunds/refund/")
    assert page.status_code == 200 and "Reject the selected" not in page.content.decode()


def test_home_tiles_and_the_chinese_console(client):
    from django.conf import settings

    from orderhub.roles import FINANCE

    client.force_login(make_user("caiwu9", groups=[FINANCE]))
    home = client.get("/").content.decode()
    assert "/refunds/reconciliation/" in home and "/refunds/returns/scan/" not in home
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "对账" in client.get("/refunds/reconciliation/").content.decode()


def test_a_failed_decision_can_be_sent_again_from_the_console(
    client, sent, django_capture_on_commit_callbacks
):
    refund, _ = shipped_order_with_a_return(django_capture_on_commit_callbacks)
    Refund.objects.filter(pk=refund.pk).update(
        decision="approve", decision_state="failed", decision_attempts=5
    )
    client.force_login(make_user("kefu10", groups=[CUSTOMER_SERVICE]))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/refunds/refund/", {"action": "resend", "_selected_action": [refund.pk]}
        )

    refund.refresh_from_db()
    assert response.status_code == 302
    assert (refund.decision_state, refund.decision_attempts) == ("pending", 0)
    assert sent[-1][0] == "refunds.tasks.refund_decision_send"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/refunds/refund/",
        "/admin/refunds/refund/?unmapped=1",
        "/admin/refunds/refundstatusmapping/",
        "/admin/refunds/refundstatusmappingchange/",
        "/admin/refunds/refundpolicysettings/",
        "/admin/refunds/returnparcel/",
        "/admin/refunds/refundsyncstate/",
        "/refunds/returns/scan/",
        "/refunds/reconciliation/",
    ],
)
def test_every_refunds_page_renders_in_chinese(client, path, django_capture_on_commit_callbacks, sent):
    from django.conf import settings

    refund, _ = shipped_order_with_a_return(django_capture_on_commit_callbacks)
    client.force_login(make_user("boss", superuser=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert client.get(path).status_code == 200
    detail = client.get(f"/admin/refunds/refund/{refund.pk}/change/")
    assert detail.status_code == 200 and "退货退款" in detail.content.decode()
