from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrderhubConfig(AppConfig):
    name = "orderhub"
    verbose_name = _("Orders")
