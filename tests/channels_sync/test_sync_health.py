"""The sync health page: per shop lag, orders in the last hour, pull error rate, dead letters, auth."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_sync.models import InboundEvent, ShopSyncState, SyncRun
from channels_sync.selectors import shop_health
from channels_sync.services.inbound import payload_digest
from orderhub.models import Order
from orderhub.roles import CUSTOMER_SERVICE, WAREHOUSE
from tests.factories import make_order, make_shop, make_user

pytestmark = pytest.mark.django_db
PAGE = "/sync/health/"


def run(shop, *, ok, hours_ago: float = 1, kind: str = "pull", message: str = "") -> SyncRun:
    started = timezone.now() - timedelta(hours=hours_ago)
    created = SyncRun.objects.create(
        shop=shop, kind=kind, window_start=started - timedelta(days=1), window_end=started, ok=ok
    )
    # started_at is set on insert; move it to the moment this run is meant to have started.
    SyncRun.objects.filter(pk=created.pk).update(started_at=started, error_message=message)
    return created


def inbound(shop, n: int, *, status: str = "dead") -> None:
    for _ in range(n):
        text = f'{{"tid": "{shop.code}-{InboundEvent.objects.count()}"}}'
        InboundEvent.objects.create(
            platform=shop.platform,
            shop=shop,
            source="push",
            payload=text,
            payload_hash=payload_digest(shop.platform, text),
            status=status,
        )


def orders(shop, n: int, *, hours_ago: float = 0) -> None:
    for _ in range(n):
        order = make_order(shop)
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))


@pytest.fixture
def shops():
    now = timezone.now()
    tmall = make_shop("taobao", code="tmall", token_expires_at=now + timedelta(days=1))
    ShopSyncState.objects.create(shop=tmall, cursor=now - timedelta(minutes=30), last_success_at=now)
    for _ in range(3):
        run(tmall, ok=True)
    run(tmall, ok=False, message="platform error isp.remote-service-error")
    run(tmall, ok=False, hours_ago=30)  # outside the last 24 hours
    run(tmall, ok=None)  # still running: neither failed nor succeeded
    run(tmall, ok=True, kind="count_check", hours_ago=26)
    run(tmall, ok=False, kind="count_check", hours_ago=2, message="count mismatch: platform 12, OrderHub 11")
    inbound(tmall, 2)
    inbound(tmall, 1, status="failed")
    orders(tmall, 2)
    orders(tmall, 1, hours_ago=2)

    jd = make_shop("jd", code="jd-main", token_expires_at=now + timedelta(days=30))
    ShopSyncState.objects.create(
        shop=jd, cursor=now - timedelta(minutes=3), last_success_at=now, auth_error="access token revoked"
    )
    run(jd, ok=True, kind="count_check", hours_ago=3)
    make_shop("pdd", code="closed", active=False)
    make_shop("manual", code="site")
    return tmall, jd


def login(client, *, groups=(CUSTOMER_SERVICE,)):
    client.force_login(make_user("staff", groups=groups))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def row(html: str, code: str) -> str:
    found = re.search(rf'<tr data-shop="{code}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {code}"
    return re.sub(r"\s+", " ", found.group(1))


@pytest.mark.usefixtures("shops")
def test_health_rows_measure_each_shop():
    rows = {health.shop.code: health for health in shop_health(make_user("boss", superuser=True))}

    assert set(rows) == {"tmall", "jd-main", "site"}  # active shops only
    t, j, site = rows["tmall"], rows["jd-main"], rows["site"]
    assert (t.lag_minutes, t.lagging) == (30, True)  # more than twice the 5-minute pull interval
    assert (j.lag_minutes, j.lagging) == (3, False)
    assert (t.orders_last_hour, j.orders_last_hour) == (2, 0)
    assert (t.failed_runs_24h, t.runs_24h, t.error_rate) == (1, 4, 0.25)
    assert j.error_rate is None
    assert (t.dead_letters, j.dead_letters) == (2, 0)
    assert (t.token_expiring, j.token_expiring, t.token_expired) == (True, False, False)
    assert (j.auth_error, t.auth_error) == ("access token revoked", "")
    assert (t.check_ok, t.check_message) == (False, "count mismatch: platform 12, OrderHub 11")
    assert j.check_ok is True
    assert not site.pulled and not site.lagging


def test_the_page_shows_lag_orders_errors_dead_letters_and_auth_per_shop(client, shops):
    tmall, _jd = shops
    login(client)

    html = client.get(PAGE).content.decode()

    t, j = row(html, "tmall"), row(html, "jd-main")
    assert 'class="lag alarm">30<' in t and 'class="lag">3<' in j
    assert '<td class="num">2</td>' in t
    assert "25% <small>(1/4)</small>" in t
    assert f"shop__id__exact={tmall.pk}&amp;status=dead" in t and ">2</a>" in t
    assert 'class="token warn"' in t and "expires soon" in t
    assert 'class="auth alarm">access token revoked<' in j
    assert "count mismatch: platform 12, OrderHub 11" in t and ": ok" in j
    assert "closed" not in html


def test_times_are_shown_in_beijing_time(client, settings):
    settings.TIME_ZONE = "UTC"
    shop = make_shop(code="tmall")
    moment = timezone.now().replace(hour=1, minute=5, second=0, microsecond=0)  # 09:05 in Beijing
    ShopSyncState.objects.create(shop=shop, cursor=moment, last_success_at=moment)
    login(client)

    assert f"{moment:%Y-%m-%d} 09:05" in row(client.get(PAGE).content.decode(), "tmall")


def test_the_page_needs_the_view_syncrun_permission(client):
    assert client.get(PAGE).status_code == 302  # to the login page
    login(client, groups=(WAREHOUSE,))
    assert client.get(PAGE).status_code == 403


def test_the_home_page_has_a_tile_for_sync_health(client):
    login(client)

    assert PAGE in client.get("/").content.decode()


def test_queries_do_not_grow_with_the_number_of_shops(client, django_assert_max_num_queries):
    def busy_shop(code):
        shop = make_shop("taobao", code=code, token_expires_at=timezone.now() + timedelta(days=9))
        ShopSyncState.objects.create(shop=shop, cursor=timezone.now(), last_success_at=timezone.now())
        run(shop, ok=True)
        run(shop, ok=False)
        run(shop, ok=True, kind="count_check")
        inbound(shop, 1)
        orders(shop, 1)

    login(client)
    busy_shop("shop-0")
    with CaptureQueriesContext(connection) as one_shop:
        client.get(PAGE)
    for n in range(1, 8):
        busy_shop(f"shop-{n}")

    with django_assert_max_num_queries(len(one_shop.captured_queries)):
        html = client.get(PAGE).content.decode()

    assert html.count("<tr data-shop=") == 8
    assert len(one_shop.captured_queries) <= 12
