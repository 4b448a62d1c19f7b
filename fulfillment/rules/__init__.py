"""Order decisions as pure functions over plain dataclasses (DESIGN.md section 3).

Every function returns a `Decision` (rule, inputs, outcome, reason) for the order's timeline. Nothing
here touches the database, Django settings or the network, so a dry-run can replay past orders.
"""

from .carrier import CarrierDecision, CarrierRuleFacts, WarehouseFacts, choose_carrier
from .facts import AddressCheck, Decision, LineFacts, OrderFacts, StockLevel, jsonable
from .gifts import GiftDecision, GiftRuleFacts, gifts_for
from .holds import HoldContext, HoldDecision, HoldSettings, decide_holds
from .merge import MergeCheck, MergeSettings, merge_candidates, merge_check, normalise_address
from .priority import (
    RELEASE_AND_CLOSE,
    RESERVE,
    PresaleDecision,
    PresaleFacts,
    presale_state,
    priority_key,
)
from .regions import PROVINCES, REMOTE_PROVINCES, province_full_name, province_in, province_key
from .routing import (
    RouteFacts,
    RouteWarehouse,
    RoutingDecision,
    RoutingSettings,
    WarehouseOption,
    choose_warehouse,
)

__all__ = [
    "PROVINCES",
    "RELEASE_AND_CLOSE",
    "REMOTE_PROVINCES",
    "RESERVE",
    "AddressCheck",
    "CarrierDecision",
    "CarrierRuleFacts",
    "Decision",
    "GiftDecision",
    "GiftRuleFacts",
    "HoldContext",
    "HoldDecision",
    "HoldSettings",
    "LineFacts",
    "MergeCheck",
    "MergeSettings",
    "OrderFacts",
    "PresaleDecision",
    "PresaleFacts",
    "RouteFacts",
    "RouteWarehouse",
    "RoutingDecision",
    "RoutingSettings",
    "StockLevel",
    "WarehouseFacts",
    "WarehouseOption",
    "choose_carrier",
    "choose_warehouse",
    "decide_holds",
    "gifts_for",
    "jsonable",
    "merge_candidates",
    "merge_check",
    "normalise_address",
    "presale_state",
    "priority_key",
    "province_full_name",
    "province_in",
    "province_key",
]
