"""When two paid orders may ship in one parcel, and why (or why not)."""

import re
import unicodedata
from dataclasses import dataclass

from .facts import Decision, OrderFacts


@dataclass(frozen=True)
class MergeSettings:
    window_minutes: int = 30
    across_shops: bool = True
    across_platforms: bool = False


@dataclass(frozen=True)
class MergeCheck:
    order_ids: tuple[int, int]
    can_merge: bool
    reasons: list[str]
    decision: Decision


# Spaces and the punctuation people type inconsistently ("文三路 90 号", "文三路90号", "文三路90號-502").
_NOISE = re.compile(r"[\s,，。.、;；:：#\-—_()（）]+")


def normalise_address(order: OrderFacts) -> str:
    text = unicodedata.normalize("NFKC", f"{order.province}{order.city}{order.district}{order.detail}")
    return _NOISE.sub("", text).lower()


def merge_check(a: OrderFacts, b: OrderFacts, settings: MergeSettings) -> MergeCheck:
    """Every condition is checked, so the console can list all reasons, not just the first."""
    passed: list[str] = []
    failed: list[str] = []

    def check(ok: bool, yes: str, no: str) -> None:
        (passed if ok else failed).append(yes if ok else no)

    check(a.order_id != b.order_id, "two different orders", "it is the same order")
    check(
        bool(a.phone_hash) and a.phone_hash == b.phone_hash, "same receiver phone", "different receiver phone"
    )
    address_a = normalise_address(a)
    check(bool(address_a) and address_a == normalise_address(b), "same address", "different address")
    if a.paid_at is None or b.paid_at is None:
        failed.append("not both paid")
        gap = None
    else:
        gap = abs(a.paid_at - b.paid_at).total_seconds() / 60
        check(
            gap <= settings.window_minutes,
            f"paid {gap:.0f} min apart (window {settings.window_minutes} min)",
            f"paid {gap:.0f} min apart, more than the {settings.window_minutes} min window",
        )
    if a.platform != b.platform:
        check(settings.across_platforms, "across platforms allowed", "merging across platforms is off")
    elif a.shop_id != b.shop_id:
        check(settings.across_shops, "across shops allowed", "merging across shops is off")
    else:
        passed.append("same shop")
    check(
        a.warehouse_id is None or b.warehouse_id is None or a.warehouse_id == b.warehouse_id,
        "same warehouse",
        "allocated in different warehouses",
    )
    check(not (a.has_waybill or b.has_waybill), "no waybill yet", "a waybill already exists")
    check(not (a.is_cod or b.is_cod), "not cash on delivery", "cash on delivery is never merged")

    can_merge = not failed
    reasons = passed if can_merge else failed
    decision = Decision(
        kind="merge",
        rule="merge_check",
        inputs={
            "orders": [a.order_id, b.order_id],
            "shops": [a.shop_id, b.shop_id],
            "platforms": [a.platform, b.platform],
            "paid_at": [a.paid_at, b.paid_at],
            "minutes_apart": None if gap is None else round(gap, 1),
            "cod": [a.is_cod, b.is_cod],
            "waybill": [a.has_waybill, b.has_waybill],
            "warehouses": [a.warehouse_id, b.warehouse_id],
            "settings": {
                "window_minutes": settings.window_minutes,
                "across_shops": settings.across_shops,
                "across_platforms": settings.across_platforms,
            },
        },
        outcome={"can_merge": can_merge},
        reason="; ".join(reasons),
    )
    return MergeCheck((a.order_id, b.order_id), can_merge, reasons, decision)


def merge_candidates(order: OrderFacts, others, settings: MergeSettings) -> list[MergeCheck]:
    """A check against each other order, those that can merge first, then by closeness of payment."""
    checks = [merge_check(order, other, settings) for other in others if other.order_id != order.order_id]

    def closeness(check: MergeCheck) -> tuple:
        minutes = check.decision.inputs["minutes_apart"]
        return (not check.can_merge, minutes is None, minutes or 0, check.order_ids[1])

    return sorted(checks, key=closeness)
