from django.db import migrations

from orderhub.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("orderhub", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
