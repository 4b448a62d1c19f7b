"""What order_process decided for an order (state, warehouse, carrier, promise, queue rank) and the
groups of orders shipped together. Why it decided so lives in the order's "decision" events."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fulfillment.models import Carrier, Warehouse
from orderhub.models import MONEY


class FulfillmentState(models.TextChoices):
    PENDING = "pending", _("pending")
    HELD = "held", _("held")
    # Presale deposit paid: stock set aside, not yet in the shipping pool.
    RESERVED = "reserved", _("reserved (presale)")
    ALLOCATED = "allocated", _("allocated")
    OUT_OF_STOCK = "out_of_stock", _("out of stock")
    CANCELLED = "cancelled", _("cancelled")


class MergeGroup(models.Model):
    """Orders shipped in one parcel; each keeps its own row (orders via OrderFulfillment.merge_group)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("merge group")
        verbose_name_plural = _("merge groups")

    def __str__(self):
        return f"#{self.pk}"


class OrderFulfillment(models.Model):
    order = models.OneToOneField(
        "orderhub.Order", on_delete=models.CASCADE, related_name="fulfillment", verbose_name=_("order")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=FulfillmentState.choices, default=FulfillmentState.PENDING
    )
    # For a split order the first warehouse; the order's allocations name the others.
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    split = models.BooleanField(_("split over warehouses"), default=False)
    carrier = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("carrier")
    )
    carrier_surcharge = models.DecimalField(_("carrier surcharge"), **MONEY, default=0)
    estimated_delivery_at = models.DateTimeField(_("estimated delivery"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # priority_key flattened so that sorting the text sorts the queue (VIP/expedited first, then by payment).
    priority_rank = models.CharField(_("queue rank"), max_length=32, blank=True, db_index=True)
    merge_group = models.ForeignKey(
        MergeGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("merge group"),
    )

    class Meta:
        verbose_name = _("order fulfillment")
        verbose_name_plural = _("order fulfillments")

    def __str__(self):
        return f"{self.order_id}: {self.state}"
