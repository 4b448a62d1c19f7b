"""The decision rules and settings as one set of plain values, kept per worker process for a few seconds.

Every batch of decisions needs the gift, routing and carrier rules, the warehouses, the carriers and the
settings. Under a peak the drain hands the deciders several batches a second, and reading those seven
tables for each batch cost more than deciding its orders. A change saved in this process (the console,
a command, a test) drops the copy at once; other processes read it within
DECISION_TABLES_MAX_AGE_SECONDS.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from fulfillment.facts import carrier_rule_facts, gift_rule_facts, route_facts, warehouse_options
from fulfillment.models import (
    Carrier,
    CarrierRule,
    FulfillmentSettings,
    GiftRule,
    RoutingRule,
    RoutingRuleWarehouse,
    Warehouse,
)
from fulfillment.rules import CarrierRuleFacts, GiftRuleFacts, RouteFacts, WarehouseFacts, WarehouseOption
from orderhub.models import Sku


@dataclass(frozen=True)
class DecisionTables:
    settings: FulfillmentSettings
    gift_rules: list[GiftRuleFacts]
    options: list[WarehouseOption]
    warehouses: dict[int, WarehouseFacts]
    routes: list[RouteFacts]
    carrier_rules: list[CarrierRuleFacts]
    carriers: dict[str, Carrier]


_kept: tuple[float, DecisionTables] | None = None
_generation = 0
_guard = threading.Lock()


def decision_tables() -> DecisionTables:
    global _kept
    kept = _kept
    if kept is not None and time.monotonic() - kept[0] < settings.DECISION_TABLES_MAX_AGE_SECONDS:
        return kept[1]
    # current() creates the settings row on a fresh install, and saving it forgets the copy.
    settings_row = FulfillmentSettings.current()
    generation, read_at = _generation, time.monotonic()
    options, warehouses = warehouse_options()
    tables = DecisionTables(
        settings=settings_row,
        gift_rules=gift_rule_facts(),
        options=options,
        warehouses=warehouses,
        routes=route_facts(),
        carrier_rules=carrier_rule_facts(),
        carriers={carrier.code: carrier for carrier in Carrier.objects.all()},
    )
    with _guard:
        # A change saved while these were read must not be hidden behind them.
        if generation == _generation:
            _kept = (read_at, tables)
    return tables


def decision_tables_forget(**_signal) -> None:
    global _kept, _generation
    with _guard:
        _kept, _generation = None, _generation + 1


WATCHED = (
    Carrier,
    CarrierRule,
    FulfillmentSettings,
    GiftRule,
    RoutingRule,
    RoutingRuleWarehouse,
    Warehouse,
    Sku,
)
M2M_WATCHED = (CarrierRule.warehouses.through, GiftRule.trigger_skus.through, GiftRule.shops.through)


def forget_on_changes() -> None:
    """Connected once, at start-up (FulfillmentConfig.ready)."""
    for model in WATCHED:
        post_save.connect(
            decision_tables_forget, sender=model, dispatch_uid=f"decision-tables-{model.__name__}"
        )
        post_delete.connect(
            decision_tables_forget, sender=model, dispatch_uid=f"decision-tables-d-{model.__name__}"
        )
    for through in M2M_WATCHED:
        m2m_changed.connect(
            decision_tables_forget, sender=through, dispatch_uid=f"decision-tables-{through.__name__}"
        )
