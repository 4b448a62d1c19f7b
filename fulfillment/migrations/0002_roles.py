from django.db import migrations

from orderhub.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0001_initial"), ("channels_sync", "0003_roles")]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
