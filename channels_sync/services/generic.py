"""The generic channel: orders already in OrderHub's normalized JSON (independent sites, offline sales)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from channels_sync.platforms.base import PayloadError
from orderhub.normalized import ORDER_STATUSES, NormalizedLine, NormalizedOrder, NormalizedReceiver

MONEY_FIELDS = ("goods_amount", "shipping_fee", "discount", "paid_amount")
LINE_MONEY = ("unit_price", "paid_amount")


def _money(value, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise PayloadError(f"{where}: not an amount: {value!r}") from None
    if amount != amount.quantize(Decimal("0.01")) or amount < 0:
        raise PayloadError(f"{where}: amounts are non-negative with at most 2 decimals, got {value!r}")
    return amount


def _time(value, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise PayloadError(f"{where}: not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise PayloadError(f"{where}: the time needs an offset, e.g. +08:00: {value!r}")
    return moment


def _text(payload: dict, key: str, where: str = "") -> str:
    value = payload.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise PayloadError(f"{where}{key}: expected a string")
    return str(value)


def normalized_from_json(payload, *, platform: str) -> NormalizedOrder:
    """Reads one order in the documented normalized schema (the `normalize` command's output)."""
    if not isinstance(payload, dict):
        raise PayloadError("an order must be a JSON object")
    missing = [key for key in ("platform_order_id", "status", "paid_amount", "lines") if key not in payload]
    if missing:
        raise PayloadError(f"missing fields: {', '.join(missing)}")
    if payload["status"] not in ORDER_STATUSES:
        raise PayloadError(f"status must be one of {', '.join(ORDER_STATUSES)}, got {payload['status']!r}")
    lines = payload["lines"]
    if not isinstance(lines, list) or not lines:
        raise PayloadError("lines must be a non-empty list")
    receiver = payload.get("receiver") or {}
    if not isinstance(receiver, dict):
        raise PayloadError("receiver must be an object")
    amounts = {key: _money(payload.get(key, "0"), key) for key in MONEY_FIELDS}
    try:
        return NormalizedOrder(
            platform=platform,
            platform_order_id=_text(payload, "platform_order_id"),
            status=payload["status"],
            raw_status=_text(payload, "raw_status") or payload["status"],
            currency=(_text(payload, "currency") or "CNY").upper()[:3],
            **amounts,
            created_at=_time(payload.get("created_at"), "created_at"),
            paid_at=_time(payload.get("paid_at"), "paid_at"),
            updated_at=_time(payload.get("updated_at"), "updated_at"),
            buyer_id=_text(payload, "buyer_id"),
            buyer_remark=_text(payload, "buyer_remark"),
            seller_remark=_text(payload, "seller_remark"),
            receiver=NormalizedReceiver(
                **{
                    k: _text(receiver, k, "receiver.")
                    for k in ("name", "phone", "province", "city", "district", "detail")
                }
            ),
            lines=tuple(_line(line, index) for index, line in enumerate(lines, start=1)),
            is_cod=payload.get("is_cod") is True,
            deposit_paid_at=_time(payload.get("deposit_paid_at"), "deposit_paid_at"),
            balance_due_at=_time(payload.get("balance_due_at"), "balance_due_at"),
        )
    except ValueError as exc:
        raise PayloadError(str(exc)) from exc


def _line(line, index: int) -> NormalizedLine:
    where = f"lines[{index}]."
    if not isinstance(line, dict):
        raise PayloadError(f"lines[{index}] must be an object")
    quantity = line.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise PayloadError(f"{where}quantity must be a positive integer")
    if not line.get("platform_sku_id") and not line.get("outer_sku_code"):
        raise PayloadError(f"{where}platform_sku_id or outer_sku_code is required")
    return NormalizedLine(
        platform_sku_id=_text(line, "platform_sku_id", where),
        outer_sku_code=_text(line, "outer_sku_code", where),
        title=_text(line, "title", where),
        quantity=quantity,
        unit_price=_money(line.get("unit_price", "0"), where + "unit_price"),
        paid_amount=_money(line.get("paid_amount", "0"), where + "paid_amount"),
        platform_line_id=_text(line, "platform_line_id", where) or str(index),
    )
