"""The refunds console in headless Chromium: a reviewer rejects a refund; the console asks for the reason
before anything is decided, then records it for the platform. The returns station finds a parcel."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from orderhub.events import Actor
from orderhub.normalized_refund import NormalizedRefund
from orderhub.roles import CUSTOMER_SERVICE
from refunds.models import Refund
from refunds.seed import seed_mappings
from refunds.services.apply import refund_apply
from tests.factories import line, make_order, make_shop

pytestmark = pytest.mark.browser


@pytest.fixture
def refund(transactional_db):
    seed_mappings(django_apps)  # the transactional database starts without the migrations' rows
    shop = make_shop("pdd")
    make_order(shop, "PDD-700", lines=[line("SKU-A", 1, "120.00")])
    incoming = NormalizedRefund(
        platform="pdd", platform_refund_id="PR-700", platform_order_id="PDD-700", refund_type="refund_only",
        raw_status="2", amount=Decimal("120.00"), platform_modified_at=datetime.now(UTC), reason="不想要了",
    )  # fmt: skip
    outcome = refund_apply(shop=shop, incoming=incoming, actor=Actor.channel("t"))
    return Refund.objects.get(pk=outcome.refund_id)


def test_reject_asks_for_the_reason_first(live_server, browser_page_as, refund):
    page = browser_page_as(CUSTOMER_SERVICE)
    page.goto(live_server.url + "/admin/refunds/refund/?review_state__exact=queued")
    assert page.locator("table.sync-delay").is_visible()
    page.check(f"input[name='_selected_action'][value='{refund.pk}']")
    page.select_option("select[name='action']", "reject")
    with page.expect_navigation():
        page.click("button[name='index']")
    # The reason is asked for; the browser will not submit the form without one
    assert page.locator("textarea[name='reason']").is_visible()
    page.click("input[type='submit'][value='Reject']")
    assert page.locator("textarea[name='reason']").evaluate("el => !el.validity.valid")
    assert Refund.objects.get(pk=refund.pk).decision == ""
    page.fill("textarea[name='reason']", "商品已发出，请拒收后申请")
    with page.expect_navigation():
        page.click("input[type='submit'][value='Reject']")
    assert "1 refunds rejected" in page.content()
    decided = Refund.objects.get(pk=refund.pk)
    assert (decided.decision, decided.decision_reason) == ("reject", "商品已发出，请拒收后申请")
