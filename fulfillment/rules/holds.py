"""The decision queue's three levels: address (1), risk (2), unmapped SKU or no stock (3)."""

from dataclasses import dataclass, field
from decimal import Decimal

from orderhub.status import HOLD_LEVELS, HoldKind

from .facts import AddressCheck, Decision, OrderFacts


@dataclass(frozen=True)
class HoldSettings:
    address_check: bool = True
    risk_check: bool = True
    risk_orders_per_phone_24h: int = 5
    risk_first_order_amount: Decimal = Decimal("5000")
    stock_check: bool = True


@dataclass(frozen=True)
class HoldContext:
    settings: HoldSettings
    # Orders from this phone in the 24 hours up to this one, this one included.
    orders_by_phone_24h: int
    is_first_order: bool
    address: AddressCheck
    # Units available per SKU id, summed over the warehouses that may serve this order.
    stock_by_sku: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class HoldDecision:
    kind: str
    level: int
    reason: str
    decision: Decision


def _hold(kind: HoldKind, reason: str, inputs: dict) -> HoldDecision:
    level = HOLD_LEVELS[kind]
    return HoldDecision(
        kind=kind.value,
        level=level,
        reason=reason,
        decision=Decision(
            kind="hold",
            rule=kind.value,
            inputs=inputs,
            outcome={"hold": kind.value, "level": level},
            reason=reason,
        ),
    )


def _address_hold(ctx: HoldContext) -> HoldDecision | None:
    address = ctx.address
    if not ctx.settings.address_check or address.ok:
        return None
    inputs = {
        "resolved": {"province": address.province, "city": address.city, "district": address.district},
        "adcode": address.adcode,
        "ambiguous": address.ambiguous,
    }
    prefix = "ambiguous address" if address.ambiguous else "address not resolved"
    return _hold(HoldKind.ADDRESS, f"{prefix}: {address.reason}", inputs)


def _risk_hold(order: OrderFacts, ctx: HoldContext) -> HoldDecision | None:
    settings = ctx.settings
    if not settings.risk_check:
        return None
    reasons = []
    if ctx.orders_by_phone_24h > settings.risk_orders_per_phone_24h:
        reasons.append(
            f"{ctx.orders_by_phone_24h} orders from this phone in 24 h "
            f"(more than {settings.risk_orders_per_phone_24h})"
        )
    if ctx.is_first_order and order.paid_amount > settings.risk_first_order_amount:
        reasons.append(f"first-time buyer paid {order.paid_amount} (over {settings.risk_first_order_amount})")
    if not reasons:
        return None
    inputs = {
        "orders_by_phone_24h": ctx.orders_by_phone_24h,
        "max_orders_per_phone_24h": settings.risk_orders_per_phone_24h,
        "is_first_order": ctx.is_first_order,
        "paid_amount": order.paid_amount,
        "first_order_amount_limit": settings.risk_first_order_amount,
    }
    return _hold(HoldKind.RISK, "; ".join(reasons), inputs)


def _stock_holds(order: OrderFacts, ctx: HoldContext) -> list[HoldDecision]:
    if not ctx.settings.stock_check:
        return []
    holds = []
    if order.unmapped_line_ids:
        holds.append(
            _hold(
                HoldKind.UNMAPPED_SKU,
                f"{len(order.unmapped_line_ids)} order line(s) not mapped to our SKUs",
                {"unmapped_line_ids": list(order.unmapped_line_ids)},
            )
        )
    codes = {line.sku_id: line.sku_code for line in order.lines}
    short = {
        codes[sku_id]: {"needed": needed, "available": ctx.stock_by_sku.get(sku_id, 0)}
        for sku_id, needed in order.demand().items()
        if ctx.stock_by_sku.get(sku_id, 0) < needed
    }
    if short:
        listed = ", ".join(f"{code} (need {s['needed']}, have {s['available']})" for code, s in short.items())
        holds.append(
            _hold(
                HoldKind.OUT_OF_STOCK,
                f"not enough stock in any eligible warehouse: {listed}",
                {"short": short},
            )
        )
    return holds


def decide_holds(order: OrderFacts, ctx: HoldContext) -> list[HoldDecision]:
    """Every hold the order needs, lowest level first; an empty list lets it through."""
    holds = [_address_hold(ctx), _risk_hold(order, ctx), *_stock_holds(order, ctx)]
    return [hold for hold in holds if hold is not None]
