from django.db import migrations

from orderhub.roles import roles_sync
from refunds.seed import policy_settings_ensure, schedules_ensure, seed_mappings


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("orderhub", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(seed_mappings, migrations.RunPython.noop),
        migrations.RunPython(schedules_ensure, migrations.RunPython.noop),
        migrations.RunPython(policy_settings_ensure, migrations.RunPython.noop),
        migrations.RunPython(roles_sync, migrations.RunPython.noop),
    ]
