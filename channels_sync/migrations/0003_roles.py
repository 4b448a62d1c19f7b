from django.db import migrations

from orderhub.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [("channels_sync", "0002_schedules"), ("orderhub", "0002_roles")]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
