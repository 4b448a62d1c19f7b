from django.db import migrations

from orderhub.roles import roles_sync

SCHEDULES = {
    "retry ship write-backs": ("fulfillment.tasks_warehouse.ship_writebacks_run", 2),
    "poll tracking": ("fulfillment.tasks_warehouse.tracking_poll_run", 30),
    "shipped without tracking number": ("fulfillment.tasks_warehouse.tracking_missing_run", 10),
}


def schedules_create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
        )


def schedules_delete(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0007_warehouse"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
        migrations.RunPython(schedules_create, schedules_delete),
    ]
