"""Youzan message pushes: Event-Sign check, parsing, and the reply Youzan waits for.

Youzan POSTs `{client_id, kdt_id, kdt_name, id, type, status, msg, msg_id, version, ...}` where `msg` is
URL-encoded JSON. Trade pushes for creation and payment carry the whole order in `msg`; the others
only name the trade (`{tid, update_time}`), and refund pushes name the refund.
"""

from __future__ import annotations

import hmac
import json

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.util import text

from .client import event_sign
from .mapping import decode_msg, identifier

REFUND_TYPE_PREFIXES = ("trade_refund_", "youzan_trade_Refund")
TRADE_TYPE_PREFIX = "trade_"


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    """Event-Sign must equal md5(client_id + raw body + client_secret) and Client-Id be our app."""
    signature = headers.get("event-sign", "").lower().encode()
    client_id = headers.get("client-id", "").encode()
    expected = event_sign(auth.app_key, body, auth.app_secret).encode()
    same_app = hmac.compare_digest(client_id, auth.app_key.encode())
    return hmac.compare_digest(signature, expected) and same_app


def _body(body: bytes) -> dict:
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"youzan push is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise PayloadError("youzan push is not a JSON object")
    return message


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    envelope = _body(body)
    try:
        topic = text(envelope["type"])
        message_id = f"{text(envelope['msg_id'])}:{text(envelope['version'])}"
        decoded = decode_msg(envelope["msg"])
    except KeyError as exc:
        raise PayloadError(f"youzan push without {exc.args[0]!r}") from exc
    shop_id = identifier(envelope.get("kdt_id"))
    tid = identifier(decoded.get("tid") or envelope.get("id"))
    common = {"topic": topic, "message_id": message_id, "platform_shop_id": shop_id, "payload": decoded}
    if topic.startswith(REFUND_TYPE_PREFIXES):
        refund_id = identifier(decoded.get("refund_id"))
        if not refund_id:
            raise PayloadError(f"youzan refund push {topic} without refund_id")
        return [PushMessage(kind="refund", external_id=refund_id, needs_fetch=True, order_id=tid, **common)]
    if topic.startswith(TRADE_TYPE_PREFIX):
        if not tid:
            raise PayloadError(f"youzan trade push {topic} names no trade")
        has_order = isinstance(decoded.get("full_order_info"), dict)
        return [PushMessage(kind="order", external_id=tid, needs_fetch=not has_order, **common)]
    return [PushMessage(kind="other", external_id=tid, needs_fetch=False, **common)]


def reply(ok: bool) -> PushReply:
    """Youzan counts a delivery as done when the answer contains "success"; anything else is retried."""
    if ok:
        return PushReply(status=200, body={"code": 0, "msg": "success"})
    return PushReply(status=500, body={"code": 1, "msg": "retry later"})


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The shop's kdt_id from the body (the Client-Id header names the app, shared by many shops)."""
    shop_id = identifier(_body(body).get("kdt_id"))
    if not shop_id:
        raise PayloadError("youzan push without kdt_id")
    return shop_id


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
