"""Errors the fulfillment services raise on purpose (see orderhub.exceptions for the shared base)."""

from django.utils.translation import gettext as _

from orderhub.exceptions import ApplicationError


class InsufficientStock(ApplicationError):
    """Some requested units are not available; nothing of the order was allocated."""

    code = "insufficient_stock"
    http_status = 409

    def __init__(self, shortfalls: list[dict]):
        self.shortfalls = shortfalls
        summary = ", ".join(
            f"SKU {item['sku_id']} @ warehouse {item['warehouse_id']}: "
            f"{item['wanted']} wanted, {item['available']} available"
            for item in shortfalls
        )
        super().__init__(
            _("Not enough stock: %(summary)s") % {"summary": summary}, details={"shortfalls": shortfalls}
        )


class StockAdjustmentRefused(ApplicationError):
    code = "stock_adjustment_refused"
    http_status = 409


class WarehouseRefused(ApplicationError):
    """A warehouse step the order's state does not allow (held, not allocated, already shipped...)."""

    code = "warehouse_refused"
    http_status = 409


class CarrierFailed(ApplicationError):
    """The e-waybill or tracking provider refused or could not be reached; nothing was changed."""

    code = "carrier_failed"
    http_status = 502


class MergeRefused(ApplicationError):
    """The orders cannot ship in one parcel; the message lists every failed check."""

    code = "merge_refused"
    http_status = 409
