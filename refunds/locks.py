"""The only place refunds rows are locked (after the order: Order → Stock → Allocation → Waybill → Refund)."""

from refunds.models import Refund, ReturnParcel


def lock_refund(refund_id: int) -> Refund:
    return Refund.objects.select_for_update().select_related("shop").get(pk=refund_id)


def lock_refund_by_key(*, shop_id: int, platform_refund_id: str) -> Refund | None:
    return (
        Refund.objects.select_for_update()
        .filter(shop_id=shop_id, platform_refund_id=platform_refund_id)
        .order_by("pk")
        .first()
    )


def lock_refunds(ids: list[int]) -> list[Refund]:
    return list(Refund.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def lock_parcel(parcel_id: int) -> ReturnParcel:
    return ReturnParcel.objects.select_for_update().select_related("refund", "order").get(pk=parcel_id)
