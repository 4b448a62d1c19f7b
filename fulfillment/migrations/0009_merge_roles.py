from django.db import migrations

from orderhub.roles import roles_sync


class Migration(migrations.Migration):
    """Customer service merges and splits parcels; the warehouse sees the decision list and merge groups."""

    dependencies = [("fulfillment", "0008_warehouse_roles_schedules")]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
