"""An unmapped platform status never crashes and never guesses: flagged, alarmed, re-evaluated once mapped."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderhub.events import Actor
from orderhub.normalized_refund import NormalizedRefund
from orderhub.ops.models import Alert
from refunds.models import Refund, RefundStatusMapping, RefundStatusMappingChange
from refunds.services.apply import refund_apply
from refunds.services.mapping import mapping_save
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db
ACTOR = Actor.channel("pdd sync")


def case(refund_id="R-1", raw_status="99", modified=datetime(2026, 11, 11, 10, tzinfo=UTC), **fields):
    values = dict(
        platform="pdd",
        platform_refund_id=refund_id,
        platform_order_id="O-404",
        refund_type="refund_only",
        raw_status=raw_status,
        amount=Decimal("12.30"),
        platform_modified_at=modified,
    )
    return NormalizedRefund(**(values | fields))


def test_unmapped_status_is_flagged_and_alarmed_then_reevaluated_when_mapped():
    shop = make_shop("pdd")
    # Given two refunds arrive with a status the table does not know
    first = refund_apply(shop=shop, incoming=case("R-1"), actor=ACTOR)
    second = refund_apply(shop=shop, incoming=case("R-2"), actor=ACTOR)
    # Then they are stored, marked unmapped, with no guessed status, and one alarm counts them
    refunds = Refund.objects.filter(pk__in=[first.refund_id, second.refund_id])
    assert {(r.status, r.unmapped, r.raw_status) for r in refunds} == {("", True, "99")}
    alert = Alert.objects.get(kind="refund_status_unmapped", key="pdd:99:refund_only")
    assert alert.status == "open" and alert.value == 2
    assert refunds[0].events.filter(type="status_unmapped").exists()
    # When someone maps it in the console
    user = make_user("mapper", superuser=True)
    mapping, count = mapping_save(platform="pdd", raw_status="99", refund_type="", status="closed", user=user)
    # Then every waiting refund is re-evaluated, the change is in the history, and the alarm clears
    assert count == 2
    assert {(r.status, r.unmapped) for r in refunds.all()} == {("closed", False)}
    change = RefundStatusMappingChange.objects.get(mapping=mapping)
    assert (change.old_status, change.new_status, change.user, change.reevaluated) == ("", "closed", user, 2)
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert refunds[0].events.filter(type="remapped").exists()


def test_editing_a_mapping_reevaluates_and_keeps_the_history():
    shop = make_shop("pdd")
    outcome = refund_apply(shop=shop, incoming=case(raw_status="10"), actor=ACTOR)
    assert Refund.objects.get(pk=outcome.refund_id).status == "refunded"
    row = RefundStatusMapping.objects.get(platform="pdd", raw_status="10", refund_type="")

    mapping_save(platform="pdd", raw_status="10", refund_type="", status="approved", mapping_id=row.pk)

    assert Refund.objects.get(pk=outcome.refund_id).status == "approved"
    change = RefundStatusMappingChange.objects.filter(mapping=row).latest("pk")
    assert (change.old_status, change.new_status) == ("refunded", "approved")


def test_an_older_update_never_overwrites_a_newer_one_and_a_replay_changes_nothing():
    shop = make_shop("pdd")
    newer = case(raw_status="10", modified=datetime(2026, 11, 11, 12, tzinfo=UTC))
    older = case(raw_status="2", modified=datetime(2026, 11, 11, 9, tzinfo=UTC))
    created = refund_apply(shop=shop, incoming=newer, actor=ACTOR)

    assert refund_apply(shop=shop, incoming=older, actor=ACTOR).result == "stale"
    assert refund_apply(shop=shop, incoming=newer, actor=ACTOR).result == "unchanged"
    assert (created.result, Refund.objects.get().status, Refund.objects.count()) == ("created", "refunded", 1)


def test_a_type_specific_row_wins_over_the_any_type_row():
    shop = make_shop("douyin")
    exchange = refund_apply(
        shop=shop, incoming=case(platform="douyin", raw_status="12", refund_type="exchange"), actor=ACTOR
    )
    assert Refund.objects.get(pk=exchange.refund_id).status == "closed"


def test_the_mapping_admin_save_goes_through_the_service(client):
    shop = make_shop("pdd")
    refund_apply(shop=shop, incoming=case(raw_status="77"), actor=ACTOR)
    client.force_login(make_user("boss", superuser=True))

    response = client.post(
        "/admin/refunds/refundstatusmapping/add/",
        {
            "platform": "pdd",
            "raw_status": "77",
            "refund_type": "",
            "status": "rejected",
            "note": "new code",
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content
    assert Refund.objects.get().status == "rejected"
    assert RefundStatusMappingChange.objects.filter(raw_status="77", new_status="rejected").exists()


def test_a_case_that_arrived_before_its_order_is_linked_and_stops_it_by_the_sweep():
    from refunds.services.review import reviews_sweep
    from tests.factories import line, make_order

    shop = make_shop("pdd")
    outcome = refund_apply(shop=shop, incoming=case(raw_status="2", platform_order_id="LATE-1"), actor=ACTOR)
    assert Refund.objects.get(pk=outcome.refund_id).order is None
    order = make_order(shop, "LATE-1", lines=[line("SKU-A", 1, "30.00")])

    assert reviews_sweep()["linked"] == 1
    refund = Refund.objects.get(pk=outcome.refund_id)
    assert refund.order == order and refund.intercepted
    assert order.holds.filter(kind="refund", status="open").exists()
    assert reviews_sweep()["linked"] == 0
