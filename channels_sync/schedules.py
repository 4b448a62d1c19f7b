"""The sync schedules, created idempotently (by a migration, and again by `ensure_schedules`)."""

SCHEDULES = [
    # name, task, schedule type, minutes
    ("pull orders (every shop)", "channels_sync.tasks.pull_all_shops", "I", 5),
    ("back-fill last 2 hours (every shop)", "channels_sync.tasks.backfill_all_shops", "H", None),
    ("drain inbound payloads", "channels_sync.tasks.drain_inbound", "I", 1),
    ("daily order count check", "channels_sync.tasks.count_check_all_shops", "D", None),
    ("purge processed payloads past retention", "channels_sync.tasks.purge_inbound", "D", None),
]


def schedules_ensure(apps=None, schema_editor=None) -> int:
    Schedule = apps.get_model("django_q", "Schedule") if apps else _live_schedule_model()
    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1}
        )
    return len(SCHEDULES)


def _live_schedule_model():
    from django_q.models import Schedule

    return Schedule
