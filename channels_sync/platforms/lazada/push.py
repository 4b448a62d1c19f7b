"""Lazada push: every message is a trigger (order or reverse order changed); the detail is fetched after."""

from __future__ import annotations

import hashlib
import hmac
import json

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.lazada.mapping import lazada_id
from channels_sync.platforms.util import text

TRADE_ORDER_MESSAGE = 0  # message_type of trade and reverse order status changes


def push_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    """HEX(HMAC_SHA256(app_secret, app_key + raw_body)), sent as the Authorization header."""
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    given = headers.get("authorization", "").strip().lower().encode()
    expected = push_signature(auth.app_key, auth.app_secret, body).encode()
    return hmac.compare_digest(given, expected)


def _message(body: bytes) -> dict:
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"Lazada push is not JSON: {exc}") from exc
    if (
        not isinstance(message, dict)
        or not isinstance(message.get("data"), dict)
        or "seller_id" not in message
    ):
        raise PayloadError("Lazada push without seller_id or data object")
    return message


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The Lazada seller_id, which OrderHub keeps as the shop's platform_shop_id."""
    return text(_message(body)["seller_id"])


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    message = _message(body)
    data = message["data"]
    seller_id = text(message["seller_id"])
    message_type = message.get("message_type")
    if message_type not in (TRADE_ORDER_MESSAGE, str(TRADE_ORDER_MESSAGE)):
        canonical = json.dumps(data, sort_keys=True).encode()
        return [
            PushMessage(
                kind="other",
                topic=text(message_type),
                external_id=text(data.get("trade_order_id")),
                message_id=f"{message_type}:{hashlib.sha256(canonical).hexdigest()[:32]}",
                platform_shop_id=seller_id,
                payload=message,
                needs_fetch=False,
            )
        ]
    if "trade_order_id" not in data:
        raise PayloadError("Lazada order push without data.trade_order_id")
    order_id = lazada_id(data["trade_order_id"], "trade_order_id")
    reverse_id = data.get("reverse_order_id")
    line_id = data.get("reverse_order_line_id") if reverse_id else data.get("trade_order_line_id")
    # Lazada sends no delivery id: one status change of one line is what a re-delivery repeats.
    message_id = ":".join(
        (
            seller_id,
            order_id,
            text(line_id),
            text(data.get("order_status")),
            text(data.get("status_update_time")),
        )
    )
    if reverse_id:
        return [
            PushMessage(
                kind="refund",
                topic=text(message_type),
                external_id=lazada_id(reverse_id, "reverse_order_id"),
                message_id=message_id,
                platform_shop_id=seller_id,
                payload=message,
                needs_fetch=True,
                order_id=order_id,
            )
        ]
    return [
        PushMessage(
            kind="order",
            topic=text(message_type),
            external_id=order_id,
            message_id=message_id,
            platform_shop_id=seller_id,
            payload=message,
            needs_fetch=True,
        )
    ]


def reply(ok: bool) -> PushReply:
    """Lazada wants HTTP 200 with an empty body; anything else makes it deliver again."""
    if ok:
        return PushReply(200, {})
    return PushReply(400, {"message": "push not accepted"})


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
