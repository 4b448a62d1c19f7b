"""The console home's way into operations (texts here so the ops catalogues translate them)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def ops_tiles(user) -> list[tuple]:
    """(title, description, url, permission, count) for the console home."""
    from orderhub.ops.selectors import active_alerts

    return [
        (
            _("Operations dashboard"),
            _("Backlog and when it clears, exceptions, sync health, health index, fulfillment cycle."),
            reverse("dashboard"),
            "ops.view_dashboard",
            None,
        ),
        (
            _("Active alerts"),
            _("Alerts still open or acknowledged: who owns them; acknowledge them here."),
            reverse("admin:ops_alert_changelist"),
            "ops.view_alert",
            active_alerts().count() if user.has_perm("ops.view_alert") else None,
        ),
    ]
