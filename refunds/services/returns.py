"""Returns in: the warehouse scans a returned parcel (by waybill or order number), inspects it item by
item, good units go back to stock through the fulfillment stock service, and the refund moves on."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.models import Warehouse
from fulfillment.services.stock import stock_adjust
from orderhub.events import Actor
from orderhub.exceptions import InvalidInput, InvalidTransition, NotFound
from orderhub.models import Sku
from refunds.events import refund_event
from refunds.locks import lock_parcel
from refunds.models import Condition, ParcelState, RefundStatus, ReturnInspection, ReturnParcel, ReviewState


@dataclass(frozen=True)
class InspectedItem:
    sku_id: int
    quantity: int
    condition: str


def return_find(*, code: str) -> list[ReturnParcel]:
    """Parcels matching a scanned code: the return waybill, the outbound waybill, or the order number."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("Scan a waybill or an order number."))
    return list(
        ReturnParcel.objects.filter(
            Q(tracking_number=code)
            | Q(refund__return_tracking_number=code)
            | Q(order__tracking_number=code)
            | Q(order__platform_order_id=code)
        )
        .exclude(state=ParcelState.INSPECTED)
        .select_related("refund", "order", "order__shop")
        .order_by("pk")
    )


def return_inspect(*, parcel_id: int, items: list[InspectedItem], warehouse_id: int, user) -> ReturnParcel:
    """Records what came back; good units are put back in stock; the refund is approved when all came
    back good, and goes to a reviewer when anything is damaged."""
    if not items:
        raise InvalidInput(_("Record at least one inspected item."))
    if any(item.quantity < 1 or item.condition not in Condition.values for item in items):
        raise InvalidInput(_("Each item needs a quantity of 1 or more and a condition (good or damaged)."))
    try:
        warehouse = Warehouse.objects.get(pk=warehouse_id)
    except Warehouse.DoesNotExist:
        raise InvalidInput(_("Choose the warehouse the goods go back to.")) from None
    skus = {sku.pk: sku for sku in Sku.objects.filter(pk__in=[item.sku_id for item in items])}
    if len(skus) != len({item.sku_id for item in items}):
        raise InvalidInput(_("Unknown SKU in the inspection."))
    actor = Actor.of_user(user)
    with transaction.atomic():
        try:
            parcel = lock_parcel(parcel_id)
        except ReturnParcel.DoesNotExist:
            raise NotFound(_("Return parcel %(id)s does not exist.") % {"id": parcel_id}) from None
        if parcel.state == ParcelState.INSPECTED:
            raise InvalidTransition(_("This parcel was inspected already."))
        for item in items:
            good = item.condition == Condition.GOOD
            if good:
                stock_adjust(
                    delta=item.quantity,
                    reason=f"return {parcel.refund.platform_refund_id}",
                    warehouse=warehouse,
                    sku=skus[item.sku_id],
                    user=user,
                    source="return",
                )
            ReturnInspection.objects.create(
                parcel=parcel,
                sku=skus[item.sku_id],
                quantity=item.quantity,
                condition=item.condition,
                warehouse_code=warehouse.code if good else "",
                restocked=good,
            )
        parcel.state = ParcelState.INSPECTED
        parcel.received_at = parcel.received_at or timezone.now()
        parcel.received_by = user
        parcel.save(update_fields=["state", "received_at", "received_by"])
        refund = parcel.refund
        refund_event(
            refund,
            "return_inspected",
            actor,
            warehouse=warehouse.code,
            items=[
                {"sku": skus[i.sku_id].code, "quantity": i.quantity, "condition": i.condition} for i in items
            ],
        )
    damaged = any(item.condition == Condition.DAMAGED for item in items)
    refund.refresh_from_db()
    if (
        refund.status in (RefundStatus.REQUESTED, RefundStatus.APPROVED)
        and refund.decision_state != "pending"
    ):
        if damaged:
            refund.review_state, refund.queued_at = ReviewState.QUEUED, timezone.now()
            refund.policy_reason = "returned goods damaged: a person decides"
            refund.save(update_fields=["review_state", "queued_at", "policy_reason", "updated_at"])
            refund_event(refund, "queued", actor, reason=refund.policy_reason)
        else:
            from refunds.services.decide import refund_decide

            refund_decide(
                refund_id=refund.pk,
                approve=True,
                reason="returned goods received in good condition",
                actor=actor,
            )
    return parcel
