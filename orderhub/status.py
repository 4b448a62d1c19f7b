"""Standard order statuses, the transition table, and the vocabulary of the hold queue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("pending payment")
    PAID = "paid", _("paid")
    SHIPPED = "shipped", _("shipped")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


# A platform may skip a state we never saw (a pull finds a paid order already finished), so forward
# jumps are allowed; going back, or leaving a final state, is not.
ALLOWED: dict[str, frozenset[str]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    # Taobao's TRADE_CLOSED after a full refund of a shipped order.
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

# Domain events announced after commit when an order enters a status.
STATUS_ANNOUNCEMENTS: dict[str, str] = {
    OrderStatus.PAID: "order.paid",
    OrderStatus.SHIPPED: "order.shipped",
    OrderStatus.COMPLETED: "order.completed",
    OrderStatus.CANCELLED: "order.cancelled",
}


def transition_allowed(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


class HoldKind(models.TextChoices):
    ADDRESS = "address", _("address needs review")
    RISK = "risk", _("risk")
    UNMAPPED_SKU = "unmapped_sku", _("unmapped SKU")
    OUT_OF_STOCK = "out_of_stock", _("out of stock")
    PLATFORM_BLOCKED = "platform_blocked", _("blocked by the platform")
    STATUS_CONFLICT = "status_conflict", _("status conflict")
    AMOUNT_DISCREPANCY = "amount_discrepancy", _("amount discrepancy")
    REFUND = "refund", _("refund requested")
    ADDRESS_CHANGE = "address_change", _("address change")
    STUCK = "stuck", _("stuck order")
    MANUAL = "manual", _("manual")


HOLD_LEVELS: dict[str, int] = {
    HoldKind.ADDRESS: 1,
    HoldKind.ADDRESS_CHANGE: 1,
    HoldKind.MANUAL: 1,
    HoldKind.RISK: 2,
    HoldKind.AMOUNT_DISCREPANCY: 2,
    HoldKind.STATUS_CONFLICT: 2,
    HoldKind.PLATFORM_BLOCKED: 2,
    HoldKind.REFUND: 2,
    HoldKind.STUCK: 2,
    HoldKind.UNMAPPED_SKU: 3,
    HoldKind.OUT_OF_STOCK: 3,
}


class HoldResolution(models.TextChoices):
    APPROVE = "approve", _("approve")
    EDIT_ADDRESS = "edit_address", _("address edited")
    MAP_SKU = "map_sku", _("SKU mapped")
    CANCEL = "cancel", _("order cancelled")
    AUTO = "auto", _("resolved automatically")
