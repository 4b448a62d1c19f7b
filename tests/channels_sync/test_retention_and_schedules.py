from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from channels_sync.models import InboundEvent
from channels_sync.schedules import SCHEDULES, schedules_ensure
from channels_sync.services.inbound import InboundItem, inbound_store
from channels_sync.services.retention import inbound_purge

pytestmark = pytest.mark.django_db


def test_schedules_exist_after_migrate_and_ensuring_again_changes_nothing():
    names = {name for name, *_ in SCHEDULES}
    before = list(Schedule.objects.filter(name__in=names).values_list("pk", "func"))

    schedules_ensure()

    assert len(before) == len(SCHEDULES)
    assert list(Schedule.objects.filter(name__in=names).values_list("pk", "func")) == before
    pull = Schedule.objects.get(func="channels_sync.tasks.pull_all_shops")
    assert (pull.schedule_type, pull.minutes) == ("I", 5)
    assert Schedule.objects.get(func="channels_sync.tasks.backfill_all_shops").schedule_type == "H"


def test_purge_removes_old_processed_payloads_but_keeps_dead_letters_and_recent_ones():
    ids = inbound_store(
        [InboundItem(platform="jd", source="pull", payload=f'{{"n": {n}}}') for n in range(3)]
    )
    dead = inbound_store([InboundItem(platform="jd", source="pull", payload="{", error="malformed")])
    old, recent_done, _pending = ids
    InboundEvent.objects.filter(pk__in=[old, recent_done]).update(status="done")
    InboundEvent.objects.filter(pk__in=[old]).update(received_at=timezone.now() - timedelta(days=120))
    InboundEvent.objects.filter(platform="jd", payload_hash__isnull=False, status="dead").update(
        received_at=timezone.now() - timedelta(days=120)
    )

    removed = inbound_purge(older_than_days=90)

    assert removed == 1
    assert not InboundEvent.objects.filter(pk=old).exists()
    assert InboundEvent.objects.filter(status="dead").count() == 1 and dead == []
