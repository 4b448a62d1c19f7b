from django.db import migrations

from channels_sync.schedules import schedules_ensure


class Migration(migrations.Migration):
    dependencies = [("channels_sync", "0003_roles")]

    operations = [migrations.RunPython(schedules_ensure, migrations.RunPython.noop)]
