from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """Project wiring: the operations dashboard and the peak simulation compose every app."""

    name = "orderhub.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")
