from django.db import migrations

from orderhub.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0004_orderfulfillment")]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
