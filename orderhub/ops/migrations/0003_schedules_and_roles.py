from django.db import migrations

from orderhub.roles import roles_sync

# name, task, schedule type, minutes (django-q2 schedules, visible and editable in the admin)
SCHEDULES = [
    ("ops: evaluate alerts, send alert outbox, webhook retries", "orderhub.ops.tasks.alerts_evaluate", "I", 1),
    ("ops: stuck-order scan", "orderhub.ops.tasks.stuck_orders_scan", "I", 1),
]


def schedules_ensure(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1}
        )


def schedules_remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0002_cursor_dashboard_permission"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("orderhub", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(schedules_ensure, schedules_remove),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
