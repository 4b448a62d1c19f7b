from django.db import migrations

from channels_sync.schedules import schedules_ensure


class Migration(migrations.Migration):
    dependencies = [
        ("channels_sync", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedules_ensure, migrations.RunPython.noop)]
