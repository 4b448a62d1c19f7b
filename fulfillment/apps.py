from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = _("Fulfillment")

    def ready(self):
        from django_q.signals import post_spawn

        from fulfillment.decision_tables import forget_on_changes

        forget_on_changes()
        # A worker loads the address library when it starts, not inside the first batch it decides.
        post_spawn.connect(_address_library_load, dispatch_uid="fulfillment-address-library")


def _address_library_load(**_signal) -> None:
    from fulfillment.address import address_library_load

    address_library_load()
