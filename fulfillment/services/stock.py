"""Stock writes: all-or-nothing allocation per order, its release, adjustments with a reason, and
imported levels.

Lock order (orderhub/locks.py): Order → Stock by pk → Allocation. Availability is checked only under
the stock row locks and written with F(), so two allocations can never take the same unit; the
CheckConstraint 0 <= allocated <= on_hand on Stock is the last line of defence.
"""

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.events import stock_allocated_events, stock_released_event
from fulfillment.exceptions import InsufficientStock, StockAdjustmentRefused
from fulfillment.locks import lock_active_allocations, lock_orders, lock_stocks
from fulfillment.models import Allocation, AllocationStatus, Stock, StockAdjustment
from orderhub.events import Actor
from orderhub.exceptions import ApplicationError, InvalidInput, InvalidTransition, NotFound
from orderhub.locks import lock_order
from orderhub.models import Order, OrderLine
from orderhub.status import OrderStatus

# Pending payment too: a presale order reserves its stock when the deposit is paid.
ALLOCATABLE_STATUSES = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAID})


@dataclass(frozen=True)
class AllocationRequest:
    line_id: int
    sku_id: int
    warehouse_id: int
    quantity: int


def stock_allocate(*, order_id: int, requests: list[AllocationRequest], actor: Actor) -> list[Allocation]:
    """Reserves every requested unit or none: any shortfall raises InsufficientStock with all of them.

    An order that already holds active allocations gets those back unchanged, so a retried or
    duplicated call never reserves twice.
    """
    outcome = stock_allocate_many(orders={order_id: requests}, actor=actor)[order_id]
    if isinstance(outcome, ApplicationError):
        raise outcome
    return outcome


def stock_allocate_many(
    *, orders: dict[int, list[AllocationRequest]], actor: Actor
) -> dict[int, list[Allocation] | ApplicationError]:
    """stock_allocate for a batch of orders in one transaction and a handful of queries, each order
    still all or nothing: one short of stock (or closed, or naming another order's lines) gets its
    error as its outcome and nothing reserved; the others are allocated. Orders are served in pk order.

    Per-order transactions cost a dozen ORM round trips each and cap a worker near a hundred orders a
    second; the paid → allocated path has to run in batches like ingestion (DESIGN.md section 6).
    """
    outcomes: dict[int, list[Allocation] | ApplicationError] = {}
    for order_id, requests in orders.items():
        if not requests:
            outcomes[order_id] = InvalidInput(_("Nothing to allocate: no lines requested."))
        elif any(request.quantity < 1 for request in requests):
            outcomes[order_id] = InvalidInput(_("Every allocated quantity must be at least 1."))
    with transaction.atomic():
        locked_orders = lock_orders(order_id for order_id in orders if order_id not in outcomes)
        lines = _lines_of(locked_orders)
        reserved = {order_id for order_id, order_lines in lines.items() if any(order_lines.values())}
        for allocation in Allocation.objects.filter(
            line__order_id__in=reserved, status=AllocationStatus.ACTIVE
        ).select_related("line"):
            outcomes.setdefault(allocation.line.order_id, []).append(allocation)
        wanted: dict[int, Counter] = {}
        for order_id, requests in orders.items():
            if order_id not in outcomes:
                error = _refusal(order_id, locked_orders.get(order_id), lines.get(order_id, {}), requests)
                if error:
                    outcomes[order_id] = error
                else:
                    wanted[order_id] = Counter()
                    for request in requests:
                        wanted[order_id][(request.warehouse_id, request.sku_id)] += request.quantity
        found = _stocks_by_key({key for counts in wanted.values() for key in counts})
        locked = lock_stocks(ref.stock_id for ref in found.values())
        remaining = {stock_id: stock.available for stock_id, stock in locked.items()}
        taken: Counter = Counter()
        allocations: dict[int, list[Allocation]] = {}
        event_rows: list[tuple[Order, list[dict]]] = []
        for order_id in sorted(wanted):
            shortfalls = _shortfalls(wanted[order_id], found, remaining)
            if shortfalls:
                outcomes[order_id] = InsufficientStock(shortfalls)
                continue
            for key, quantity in wanted[order_id].items():
                remaining[found[key].stock_id] -= quantity
                taken[found[key].stock_id] += quantity
            allocations[order_id], rows = [], []
            for request in orders[order_id]:
                ref = found[(request.warehouse_id, request.sku_id)]
                allocations[order_id].append(
                    Allocation(line_id=request.line_id, stock_id=ref.stock_id, quantity=request.quantity)
                )
                rows.append(_event_row(request.line_id, ref.warehouse_code, ref.sku_code, request.quantity))
            event_rows.append((locked_orders[order_id], rows))
        _change_allocated(taken)
        Allocation.objects.bulk_create(
            [a for order_allocations in allocations.values() for a in order_allocations]
        )
        stock_allocated_events(allocated=event_rows, actor=actor)
    return outcomes | allocations


def _lines_of(orders: dict) -> dict[int, dict[int, bool]]:
    """order id → {line id: holds an active allocation} for the locked orders. Two index lookups: an
    EXISTS per line let PostgreSQL hash every active allocation once the table grew."""
    reserved = set(
        Allocation.objects.filter(line__order_id__in=orders, status=AllocationStatus.ACTIVE).values_list(
            "line_id", flat=True
        )
    )
    lines: dict[int, dict[int, bool]] = {}
    for order_id, line_id in OrderLine.objects.filter(order_id__in=orders).values_list("order_id", "pk"):
        lines.setdefault(order_id, {})[line_id] = line_id in reserved
    return lines


def _refusal(order_id: int, order, lines: dict[int, bool], requests) -> ApplicationError | None:
    if order is None:
        return NotFound(_("Order %(id)s does not exist.") % {"id": order_id})
    if order.status not in ALLOCATABLE_STATUSES:
        return InvalidTransition(
            _("Order %(order)s is %(status)s; only open orders get stock.")
            % {"order": order, "status": order.status},
            details={"status": order.status},
        )
    foreign = sorted({request.line_id for request in requests} - lines.keys())
    if foreign:
        return InvalidInput(
            _("Lines %(lines)s are not lines of order %(order)s.") % {"lines": foreign, "order": order},
            details={"lines": foreign},
        )
    return None


def _shortfalls(wanted: Counter, found: dict, remaining: dict[int, int]) -> list[dict]:
    shortfalls = []
    for (warehouse_id, sku_id), quantity in wanted.items():
        ref = found.get((warehouse_id, sku_id))
        available = remaining.get(ref.stock_id, 0) if ref else 0
        if quantity > available:
            shortfalls.append(
                {"sku_id": sku_id, "warehouse_id": warehouse_id, "wanted": quantity, "available": available}
            )
    return shortfalls


def allocations_release(*, order_id: int, actor: Actor, reason: str) -> int:
    """Returns every reserved unit of the order to its stock; the number of allocations released."""
    with transaction.atomic():
        order = lock_order(order_id)
        stock_ids = list(
            Allocation.objects.filter(line__order_id=order_id, status=AllocationStatus.ACTIVE).values_list(
                "stock_id", flat=True
            )
        )
        if not stock_ids:
            return 0
        lock_stocks(stock_ids)
        allocations = lock_active_allocations(order_id)
        returned = Counter()
        for allocation in allocations:
            returned[allocation.stock_id] -= allocation.quantity
        _change_allocated(returned)
        Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(
            status=AllocationStatus.RELEASED, released_at=timezone.now()
        )
        stock_released_event(
            order=order,
            actor=actor,
            reason=reason,
            allocations=[
                _event_row(a.line_id, a.stock.warehouse.code, a.stock.sku.code, a.quantity)
                for a in allocations
            ],
        )
    return len(allocations)


def stock_adjust(
    *,
    delta: int,
    reason: str,
    stock_id: int | None = None,
    warehouse=None,
    sku=None,
    user=None,
    source: str = "manual",
) -> StockAdjustment:
    """Changes on-hand stock by `delta` with a reason, recorded in the SKU's adjustment history.

    Names the stock row by id or by warehouse and SKU (a row is created for a SKU new to the
    warehouse). Refused when on hand would fall below zero or below the units allocated to orders.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A stock adjustment needs a reason."))
    if not isinstance(delta, int) or delta == 0:
        raise InvalidInput(_("A stock adjustment needs a whole, non-zero change."))
    if (stock_id is None) == (warehouse is None or sku is None):
        raise InvalidInput(_("Name the stock either by id or by warehouse and SKU."))
    with transaction.atomic():
        if stock_id is None:
            stock_id = Stock.objects.get_or_create(warehouse=warehouse, sku=sku)[0].pk
        stock = lock_stocks([stock_id]).get(stock_id)
        if stock is None:
            raise InvalidInput(_("Stock %(id)s does not exist.") % {"id": stock_id})
        after = stock.on_hand + delta
        if after < 0:
            raise StockAdjustmentRefused(
                _("%(stock)s: a change of %(delta)+d would leave %(after)d on hand, below zero.")
                % {"stock": _label(stock), "delta": delta, "after": after},
                details={"on_hand": stock.on_hand, "delta": delta},
            )
        if after < stock.allocated:
            raise StockAdjustmentRefused(
                _(
                    "%(stock)s: a change of %(delta)+d would leave %(after)d on hand, below the "
                    "%(allocated)d units allocated to orders."
                )
                % {"stock": _label(stock), "delta": delta, "after": after, "allocated": stock.allocated},
                details={"on_hand": stock.on_hand, "allocated": stock.allocated, "delta": delta},
            )
        Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + delta, updated_at=timezone.now())
        return StockAdjustment.objects.create(
            stock=stock, delta=delta, on_hand_after=after, reason=reason[:200], source=source, user=user
        )


@dataclass(frozen=True)
class StockLevelRow:
    warehouse_id: int
    sku_id: int
    on_hand: int | None = None  # None: leave on hand as it is
    safety_threshold: int | None = None
    bin_location: str | None = None


def stock_set_levels(
    rows: list[StockLevelRow], user=None, source: str = "import", reason: str = "import"
) -> list[Stock]:
    """Sets levels row by row, all or nothing; a changed on hand is recorded as an adjustment (never a
    silent overwrite) and is refused below the units allocated to orders. Returns the rows' stocks."""
    keys = [(row.warehouse_id, row.sku_id) for row in rows]
    if len(set(keys)) != len(keys):
        raise InvalidInput(_("The same warehouse and SKU appear twice."))
    if any((row.on_hand or 0) < 0 or (row.safety_threshold or 0) < 0 for row in rows):
        raise InvalidInput(_("Stock quantities cannot be negative."))
    with transaction.atomic():
        stock_ids = {ref_key: ref.stock_id for ref_key, ref in _stocks_by_key(keys).items()}
        for key in set(keys) - stock_ids.keys():
            stock_ids[key] = Stock.objects.get_or_create(warehouse_id=key[0], sku_id=key[1])[0].pk
        locked = lock_stocks(stock_ids.values())
        refused = [
            _label(locked[stock_ids[key]])
            for key, row in zip(keys, rows, strict=True)
            if row.on_hand is not None and row.on_hand < locked[stock_ids[key]].allocated
        ]
        if refused:
            raise StockAdjustmentRefused(
                _("On hand cannot go below the units allocated to orders: %(stocks)s")
                % {"stocks": ", ".join(refused)},
                details={"stocks": refused},
            )
        adjustments = []
        for key, row in zip(keys, rows, strict=True):
            stock = locked[stock_ids[key]]
            changes = {
                name: getattr(row, name)
                for name in ("safety_threshold", "bin_location")
                if getattr(row, name) is not None
            }
            if row.on_hand is not None and row.on_hand != stock.on_hand:
                delta = row.on_hand - stock.on_hand
                changes["on_hand"] = F("on_hand") + delta
                adjustments.append(
                    StockAdjustment(
                        stock=stock,
                        delta=delta,
                        on_hand_after=row.on_hand,
                        reason=reason,
                        source=source,
                        user=user,
                    )
                )
            if changes:
                Stock.objects.filter(pk=stock.pk).update(**changes, updated_at=timezone.now())
        StockAdjustment.objects.bulk_create(adjustments)
        by_pk = Stock.objects.in_bulk(stock_ids.values())
        return [by_pk[stock_ids[key]] for key in keys]


@dataclass(frozen=True)
class _StockRef:
    stock_id: int
    warehouse_code: str
    sku_code: str


def _stocks_by_key(keys) -> dict[tuple[int, int], _StockRef]:
    """(warehouse id, SKU id) → the stock row's id and codes; read before locking, the codes for the event."""
    warehouse_ids, sku_ids = {w for w, _s in keys}, {s for _w, s in keys}
    rows = Stock.objects.filter(warehouse_id__in=warehouse_ids, sku_id__in=sku_ids).values_list(
        "pk", "warehouse_id", "sku_id", "warehouse__code", "sku__code"
    )
    return {(w, s): _StockRef(pk, w_code, s_code) for pk, w, s, w_code, s_code in rows}


def _change_allocated(by_stock: dict[int, int]) -> None:
    """One UPDATE for all the rows: allocated += n per stock, relative to the row, never a read value."""
    by_stock = {stock_id: n for stock_id, n in by_stock.items() if n}
    if by_stock:
        change = Case(*(When(pk=stock_id, then=Value(n)) for stock_id, n in by_stock.items()), default=0)
        Stock.objects.filter(pk__in=by_stock).update(
            allocated=F("allocated") + change, updated_at=timezone.now()
        )


def _event_row(line_id: int, warehouse: str, sku: str, quantity: int) -> dict:
    return {"line_id": line_id, "sku": sku, "warehouse": warehouse, "quantity": quantity}


def _label(stock: Stock) -> str:
    # Only on refusals: the locked rows come without their warehouse and SKU joined.
    return f"{stock.warehouse.code}/{stock.sku.code}"
