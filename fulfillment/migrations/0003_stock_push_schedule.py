from django.db import migrations

NAME = "push stock to the shops"


def schedule_create(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "fulfillment.stock_push_tasks.stock_push_run",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def schedule_delete(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0002_roles"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_create, schedule_delete)]
