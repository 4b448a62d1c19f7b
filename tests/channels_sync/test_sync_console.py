"""The inbound log and dead-letter list in the console: filters, masked payloads, replay, permissions."""

import json

import pytest
from django.conf import settings

from channels_sync.models import InboundEvent, SyncRun
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.services.inbound import InboundItem, inbound_process, inbound_store, payload_digest
from orderhub.models import Order
from orderhub.roles import CUSTOMER_SERVICE, FINANCE
from tests.channels_sync.conftest import recent, sandbox_shop
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db
LIST = "/admin/channels_sync/inboundevent/"
PHONE, NAME, STREET = "13812341234", "张三丰", "文三路 90 号"


def stored(shop, external_id: str, *, status: str = "dead", payload=None, **fields) -> InboundEvent:
    payload = payload if payload is not None else {"tid": external_id, "receiver_mobile": PHONE}
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    platform = shop.platform if shop else "taobao"
    return InboundEvent.objects.create(
        platform=platform,
        shop=shop,
        source=fields.pop("source", "push"),
        external_id=external_id,
        payload=text,
        payload_hash=payload_digest(platform, text),
        status=status,
        last_error=fields.pop("last_error", f"error of {external_id}"),
        **fields,
    )


def login(client, username: str, *, groups=(CUSTOMER_SERVICE,), permissions=()):
    client.force_login(make_user(username, groups=groups, permissions=permissions))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def listing(client, query: str = "") -> str:
    response = client.get(f"{LIST}{query}")
    assert response.status_code == 200
    return response.content.decode()


def replay(client, action: str, events, query: str = ""):
    return client.post(
        f"{LIST}{query}",
        {"action": action, "_selected_action": [event.pk for event in events]},
        follow=True,
    )


def test_the_list_shows_dead_and_failed_payloads_by_default_and_filters_them(client):
    tmall, jd = make_shop("taobao", code="tmall"), make_shop("jd", code="jd-flagship")
    stored(tmall, "DEAD-1", last_error="unreadable payload: " + "x" * 200)
    stored(jd, "FAILED-1", status="failed")
    stored(tmall, "DONE-1", status="done")
    stored(tmall, "PULLED-1", status="dead", source="pull", kind="refund")
    stored(None, "NOSHOP-1")
    login(client, "kefu")

    default = listing(client)
    assert "DEAD-1" in default and "FAILED-1" in default and "NOSHOP-1" in default
    assert "DONE-1" not in default
    assert "replay_selected" in default and "replay_filtered" in default
    assert "x" * 200 not in default  # the last error is cut short in the list
    assert "DONE-1" in listing(client, "?status=all")
    assert "DEAD-1" not in listing(client, "?status=done")
    assert "FAILED-1" not in listing(client, "?status=dead")
    by_platform = listing(client, "?platform__exact=jd")
    assert "FAILED-1" in by_platform and "DEAD-1" not in by_platform
    by_shop = listing(client, f"?shop__id__exact={tmall.pk}&status=all")
    assert "DONE-1" in by_shop and "FAILED-1" not in by_shop
    by_source = listing(client, "?source__exact=pull&kind__exact=refund")
    assert "PULLED-1" in by_source and "DEAD-1" not in by_source
    searched = listing(client, "?q=FAILED-1")
    assert "FAILED-1" in searched and "DEAD-1" not in searched


def test_the_detail_page_masks_personal_data_without_the_permission(client):
    event = stored(
        make_shop(),
        "T-77",
        payload={"tid": "T-77", "receiver_name": NAME, "receiver_mobile": PHONE, "receiver_address": STREET},
    )
    login(client, "kefu")

    page = client.get(f"{LIST}{event.pk}/change/").content.decode()

    assert "T-77" in page and "error of T-77" in page and "raw-payload" in page
    assert PHONE not in page and NAME not in page and STREET not in page
    assert "****" in page


def test_the_detail_page_shows_the_payload_in_clear_with_the_permission(client):
    event = stored(
        make_shop(),
        "T-78",
        payload={"tid": "T-78", "receiver_name": NAME, "receiver_mobile": PHONE, "receiver_address": STREET},
    )
    login(client, "lead", permissions=["orderhub.view_personal_data"])

    page = client.get(f"{LIST}{event.pk}/change/").content.decode()

    assert PHONE in page and NAME in page and STREET in page
    assert '"tid": "T-78"' in page.replace("&quot;", '"')  # pretty-printed JSON


def test_an_unparseable_payload_is_withheld_without_the_permission(client):
    event = stored(make_shop(), "BROKEN-1", payload=f'{{"receiver_name": "{NAME}", "receiver_mob')
    login(client, "kefu")

    page = client.get(f"{LIST}{event.pk}/change/").content.decode()

    assert NAME not in page and "Not JSON" in page


def test_the_console_cannot_add_change_or_delete_payloads(client):
    event = stored(make_shop(), "RO-1")
    client.force_login(make_user("root", superuser=True))  # not even a superuser

    page = client.get(f"{LIST}{event.pk}/change/").content.decode()

    assert client.get(f"{LIST}add/").status_code == 403
    assert 'name="_save"' not in page
    assert client.post(f"{LIST}{event.pk}/delete/").status_code == 403
    assert InboundEvent.objects.filter(pk=event.pk).exists()


def test_replay_turns_a_dead_letter_into_an_order_once_the_cause_is_fixed(client, sandbox):
    shop = sandbox_shop(sandbox, "jd")
    order = generate_order(sandbox.state, demo_shop("jd"), status="paid", now=recent(5))
    # Given a change notice for an order the platform does not serve yet: the fetch fails for good.
    lost = sandbox.state.orders[("jd", order.shop_id)].pop(order.order_id)
    [event_id] = inbound_store(
        [
            InboundItem(
                platform="jd",
                source="push",
                shop_id=shop.pk,
                external_id=order.order_id,
                needs_fetch=True,
                payload=json.dumps({"orderId": order.order_id}),
            )
        ]
    )
    inbound_process([event_id])
    event = InboundEvent.objects.get(pk=event_id)
    assert event.status == "dead" and not Order.objects.exists()
    # When the platform serves it again and customer service replays the dead letter (twice).
    sandbox.state.put_order(lost)
    login(client, "kefu")

    first = replay(client, "replay_selected", [event])
    second = replay(client, "replay_selected", [event], "?status=all")

    # Then one order exists, and the second replay found nothing new.
    event.refresh_from_db()
    assert event.status == "done" and event.order_id == Order.objects.get().pk
    assert Order.objects.get().platform_order_id == order.order_id
    assert "1 orders created" in first.content.decode()
    assert "0 orders created" in second.content.decode() and "1 unchanged" in second.content.decode()


def manual_order(order_id: str) -> dict:
    return {
        "platform_order_id": order_id,
        "status": "paid",
        "goods_amount": "30.00",
        "paid_amount": "30.00",
        "updated_at": "2026-11-11T10:00:00+08:00",
        "receiver": {"name": NAME, "phone": PHONE, "province": "浙江省", "city": "杭州市", "detail": STREET},
        "lines": [
            {
                "outer_sku_code": "SKU-A",
                "title": "tea",
                "quantity": 1,
                "unit_price": "30.00",
                "paid_amount": "30.00",
            }
        ],
    }


def test_bulk_replay_takes_every_dead_letter_matching_the_filters_not_only_the_ticked_one(client):
    site, other = make_shop("manual", code="site"), make_shop("manual", code="offline")
    ticked = stored(site, "S-1", payload=manual_order("S-1"))
    stored(site, "S-2", payload=manual_order("S-2"), status="failed")
    stored(site, "S-3", payload=manual_order("S-3"), status="done")  # not a dead letter: left alone
    stored(other, "O-1", payload=manual_order("O-1"))
    login(client, "kefu")

    response = replay(client, "replay_filtered", [ticked], f"?shop__id__exact={site.pk}")

    assert set(Order.objects.values_list("platform_order_id", flat=True)) == {"S-1", "S-2"}
    assert "Replayed 2 payloads: 2 orders created" in response.content.decode()
    assert InboundEvent.objects.get(external_id="O-1").status == "dead"


def test_replay_reports_payloads_that_still_fail(client):
    event = stored(None, "ORPHAN-1")  # no shop of ours matches it, now as before
    login(client, "kefu")

    response = replay(client, "replay_selected", [event])

    assert "1 still failing" in response.content.decode()
    event.refresh_from_db()
    assert event.status == "dead" and "no shop" in event.last_error


def test_finance_can_read_the_dead_letters_but_cannot_replay_them(client):
    shop = make_shop("manual", code="site")
    event = stored(shop, "F-1", payload=manual_order("F-1"))
    login(client, "caiwu", groups=(FINANCE,))

    page = listing(client)
    replay(client, "replay_selected", [event])
    replay(client, "replay_filtered", [event])

    assert "F-1" in page and "replay_selected" not in page
    event.refresh_from_db()
    assert event.status == "dead" and event.attempts == 0 and not Order.objects.exists()


def test_sync_runs_and_cursors_are_listed_read_only(client):
    shop = make_shop(code="tmall")
    run = SyncRun.objects.create(
        shop=shop,
        kind="count_check",
        window_start=recent(60),
        window_end=recent(0),
        ok=False,
        error_message="count mismatch on 2026-11-10",
        details={"missing": ["T-404"]},
    )
    login(client, "kefu")

    runs = client.get("/admin/channels_sync/syncrun/?ok__exact=0").content.decode()
    detail = client.get(f"/admin/channels_sync/syncrun/{run.pk}/change/").content.decode()
    states = client.get("/admin/channels_sync/shopsyncstate/")

    assert "count mismatch on 2026-11-10" in runs
    assert "T-404" in detail and 'name="_save"' not in detail
    assert states.status_code == 200
    assert client.get("/admin/channels_sync/syncrun/add/").status_code == 403
