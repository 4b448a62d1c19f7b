"""PDD PMC messages, relayed over HTTP.

PMC is a WebSocket (`wss://message-api.pinduoduo.com/message/{client_id}/...`) whose frames carry no
signature of their own. Our relay holds that socket and POSTs each `Common` frame's JSON unchanged,
with `X-Relay-Client-Id: <client_id>` and `X-Relay-Signature: hex(HMAC-SHA256(client_secret, body))`.
Every message is a trigger: the order (or refund) detail must be fetched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.util import text

SIGNATURE_HEADER = "x-relay-signature"
CLIENT_ID_HEADER = "x-relay-client-id"


def relay_signature(body: bytes, client_secret: str) -> str:
    return hmac.new(client_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    given = headers.get(SIGNATURE_HEADER, "").lower()
    signed = hmac.compare_digest(given.encode(), relay_signature(body, auth.app_secret).encode())
    client = hmac.compare_digest(headers.get(CLIENT_ID_HEADER, "").encode(), auth.app_key.encode())
    return signed and client


def _frame(body: bytes) -> tuple[dict, dict, dict]:
    """(frame, its message, the message's decoded content)."""
    try:
        frame = json.loads(body)
        message = frame["message"]
        content = json.loads(message["content"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"not a PMC frame: {exc!r}") from exc
    if not isinstance(content, dict) or not message.get("type"):
        raise PayloadError("PMC frame without a type or with non-object content")
    return frame, message, content


def _kind(message_type: str) -> str:
    if message_type.startswith("pdd_trade_"):
        return "order"
    if message_type.startswith("pdd_refund_"):
        return "refund"
    return "other"


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    frame, message, content = _frame(body)
    message_type = str(message["type"])
    kind = _kind(message_type)
    order_sn = text(content.get("tid"))
    if kind != "other" and not order_sn:
        raise PayloadError(f"PMC {message_type} message without a tid")
    if kind == "refund" and content.get("refund_id") in (None, ""):
        raise PayloadError(f"PMC {message_type} message without a refund_id")
    return [
        PushMessage(
            kind=kind,
            topic=message_type,
            external_id=text(content["refund_id"]) if kind == "refund" else order_sn,
            message_id=text(frame.get("id")),
            platform_shop_id=text(message.get("mallID")),
            payload={**frame, "message": {**message, "content": content}},
            needs_fetch=kind != "other",
            order_id=order_sn if kind == "refund" else "",
        )
    ]


def reply(ok: bool) -> PushReply:
    """The PMC Ack for the relay to send back over the socket.

    `reply` does not see the frame, so the relay completes the Ack with the frame's id, sendTime,
    type and mallID. Without an Ack PMC redelivers, which is what a refused frame needs.
    """
    if not ok:
        return PushReply(status=400, body={"error": "frame refused; do not ack it"})
    return PushReply(status=200, body={"commandType": "Ack", "time": int(time.time() * 1000)})


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The PDD shop id: the frame's `message.mallID` (one client_id serves many shops)."""
    _, message, _ = _frame(body)
    mall_id = text(message.get("mallID"))
    if not mall_id:
        raise PayloadError("PMC frame without a mallID")
    return mall_id


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
