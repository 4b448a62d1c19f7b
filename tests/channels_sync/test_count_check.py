from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from channels_sync.platforms.util import BEIJING
from channels_sync.sandbox.demo import demo_shop
from channels_sync.sandbox.generator import generate_order
from channels_sync.services.count_check import shop_count_check
from channels_sync.services.pull import shop_pull
from orderhub.models import Order
from tests.channels_sync.conftest import sandbox_shop

pytestmark = pytest.mark.django_db


def yesterday_at(hour: int) -> datetime:
    day = timezone.now().astimezone(BEIJING).date() - timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=BEIJING)


@pytest.fixture
def youzan(sandbox):
    shop = sandbox_shop(sandbox, "youzan")
    orders = [
        generate_order(sandbox.state, demo_shop("youzan"), status="paid", now=yesterday_at(h))
        for h in (9, 13, 20)
    ]
    return shop, orders


def test_matching_counts_pass(sandbox, youzan, http):
    shop, _ = youzan
    shop_pull(shop=shop, since=yesterday_at(0), until=timezone.now() - timedelta(minutes=1))

    run = shop_count_check(shop=shop, day=yesterday_at(0).date(), http=http)

    assert run.ok, run.error_message
    assert (run.details["platform"], run.details["ours"]) == (3, 3)


def test_a_missing_order_raises_the_alarm_and_is_ingested(sandbox, youzan, http):
    shop, orders = youzan
    shop_pull(shop=shop, since=yesterday_at(0), until=timezone.now() - timedelta(minutes=1))
    Order.objects.filter(
        platform_order_id=orders[1].order_id
    ).delete()  # as if a push and a pull were both missed

    run = shop_count_check(shop=shop, day=yesterday_at(0).date(), http=http)

    assert run.ok is False
    assert run.details["missing"] == [orders[1].order_id]
    assert "count mismatch" in run.error_message and "1 missing" in run.error_message
    assert Order.objects.filter(shop=shop).count() == 3  # repaired on the spot


def test_an_order_the_platform_does_not_know_is_flagged(sandbox, youzan, http):
    shop, _ = youzan
    shop_pull(shop=shop, since=yesterday_at(0), until=timezone.now() - timedelta(minutes=1))
    ghost = Order.objects.filter(shop=shop).first()
    Order.objects.filter(pk=ghost.pk).update(platform_order_id="GHOST-1")

    run = shop_count_check(shop=shop, day=yesterday_at(0).date(), http=http)

    assert run.ok is False and "GHOST-1" in run.details["extra"]


def test_a_platform_failure_is_recorded_not_raised(sandbox, youzan, http):
    shop, _ = youzan
    shop.credentials = shop.credentials | {"access_token": "revoked"}
    shop.save()

    run = shop_count_check(shop=shop, day=yesterday_at(0).date(), http=http)

    assert run.ok is False and "count check failed" in run.error_message
