"""Taobao TMC messages relayed to OrderHub over HTTP.

TMC itself is a WebSocket channel with no per-message signature. A relay that holds the TMC
connection POSTs each message (one object or a list) to OrderHub, signed with the app secret:
`X-Relay-Signature` = hex HMAC-SHA256(app_secret, raw body), `X-Relay-App-Key` = the app key.
Messages only announce a change; the trade is re-fetched with taobao.trade.fullinfo.get.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.taobao.mapping import platform_id
from channels_sync.platforms.util import text

SIGNATURE_HEADER = "x-relay-signature"
APP_KEY_HEADER = "x-relay-app-key"


def relay_signature(app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    given = headers.get(SIGNATURE_HEADER, "").strip().lower()
    expected = relay_signature(auth.app_secret, body)
    signed_by_app = hmac.compare_digest(expected.encode(), given.encode())
    return signed_by_app and headers.get(APP_KEY_HEADER) == auth.app_key


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The relay's app key (not a seller id): TMC delivers per app, so the app key names the shop."""
    app_key = headers.get(APP_KEY_HEADER, "").strip()
    if not app_key:
        raise PayloadError(f"Taobao relay push without the {APP_KEY_HEADER} header")
    return app_key


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"Taobao relay body is not JSON: {exc}") from exc
    messages = decoded if isinstance(decoded, list) else [decoded]
    if not messages:
        raise PayloadError("Taobao relay body carries no TMC messages")
    return [parse_message(message) for message in messages]


def parse_message(message) -> PushMessage:
    """One TMC message `{topic, id, user_id, content: "<JSON string>"}` → PushMessage (a trigger)."""
    if not isinstance(message, dict):
        raise PayloadError(f"a TMC message is a JSON object, not {type(message).__name__}")
    topic = message.get("topic")
    if not isinstance(topic, str) or not topic:
        raise PayloadError("TMC message without a topic")
    content = message.get("content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError as exc:
            raise PayloadError(f"TMC {topic} content is not JSON: {exc}") from exc
    if not isinstance(content, dict):
        raise PayloadError(f"TMC {topic} content is not a JSON object")
    order_id = ""
    if topic.startswith("taobao_refund_"):
        kind, external_id = "refund", platform_id(content.get("refund_id"), f"TMC {topic} refund_id")
        order_id = platform_id(content.get("tid"), f"TMC {topic} tid")
    elif topic.startswith("taobao_trade_"):
        kind, external_id = "order", platform_id(content.get("tid"), f"TMC {topic} tid")
    else:
        kind, external_id = "other", text(content.get("tid"))
    return PushMessage(
        kind=kind,
        topic=topic,
        external_id=external_id,
        message_id=platform_id(message.get("id"), f"TMC {topic} id"),
        platform_shop_id=text(message.get("user_id")),
        payload={**message, "content": content},
        needs_fetch=True,
        order_id=order_id,
    )


def reply(ok: bool) -> PushReply:
    # A non-2xx answer tells the relay to deliver the message again.
    return (
        PushReply(status=200, body={"success": True})
        if ok
        else PushReply(status=400, body={"success": False})
    )


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
