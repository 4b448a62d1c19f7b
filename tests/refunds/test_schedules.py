"""The refund poll and the review sweep are django-q2 schedules created by a data migration."""

import pytest
from django_q.models import Schedule

from refunds import tasks
from tests.factories import make_shop

pytestmark = pytest.mark.django_db


def test_refund_schedules_run_every_ten_minutes():
    schedules = {s.func: (s.schedule_type, s.minutes, s.repeats) for s in Schedule.objects.all()}
    assert schedules["refunds.tasks.poll_all_shops_refunds"] == ("I", 10, -1)
    assert schedules["refunds.tasks.review_sweep"] == ("I", 10, -1)


def test_the_poll_task_queues_one_poll_per_active_shop(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, **kw: queued.append((func, kw["shop_id"])))
    active, _inactive = make_shop("pdd"), make_shop("jd", active=False)
    make_shop("manual", code="offline")

    assert tasks.poll_all_shops_refunds() == 1
    assert queued == [("refunds.tasks.poll_shop_refunds", active.pk)]
