"""The same new refund applied by two workers at once is stored once (PostgreSQL row locks)."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from orderhub.events import Actor
from orderhub.normalized_refund import NormalizedRefund
from refunds.models import Refund, RefundEvent
from refunds.services.apply import refund_apply
from tests.factories import make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_workers_apply_the_same_new_refund_once():
    shop = make_shop("pdd")
    incoming = NormalizedRefund(
        platform="pdd", platform_refund_id="RACE-1", platform_order_id="NONE", refund_type="refund_only",
        raw_status="10", amount=Decimal("5.00"), platform_modified_at=datetime(2026, 11, 11, tzinfo=UTC),
    )  # fmt: skip
    barrier, results, errors = threading.Barrier(4), [], []

    def work():
        try:
            barrier.wait()
            results.append(refund_apply(shop=shop, incoming=incoming, actor=Actor.channel("race")).result)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sorted(results) == ["created", "unchanged", "unchanged", "unchanged"]
    assert Refund.objects.filter(platform_refund_id="RACE-1").count() == 1
    assert RefundEvent.objects.filter(type="received").count() == 1
