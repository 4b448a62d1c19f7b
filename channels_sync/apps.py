from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsSyncConfig(AppConfig):
    name = "channels_sync"
    verbose_name = _("Channel sync")
