"""Doudian message pushes: a signed JSON array of {tag, msg_id, data:"<JSON string>"} per POST.

Every order and after-sale message is a trigger; the detail must be fetched before mapping.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.util import text

SIGN_HEADER = "event-sign"
APP_ID_HEADER = "app-id"
ORDER_TAGS = range(100, 111)  # created, paid, shipped, completed, cancelled, address changed, …
REFUND_TAGS = range(200, 209)  # after-sale created … buyer modified


def event_sign(body: bytes, app_key: str, app_secret: str) -> str:
    """Lower-case hex MD5(app_key + raw body + app_secret)."""
    return hashlib.md5(app_key.encode() + body + app_secret.encode(), usedforsecurity=False).hexdigest()


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    expected = event_sign(body, auth.app_key, auth.app_secret)
    signed = hmac.compare_digest(headers.get(SIGN_HEADER, "").lower().encode(), expected.encode())
    same_app = hmac.compare_digest(headers.get(APP_ID_HEADER, "").encode(), auth.app_key.encode())
    return signed and same_app


def _messages(body: bytes) -> list[tuple[dict, int, dict]]:
    """(message, tag, decoded data) for each message of the body."""
    try:
        items = json.loads(body)
        if not isinstance(items, list):
            raise PayloadError(f"Doudian push body is a {type(items).__name__}, not an array")
        decoded = [(item, int(str(item["tag"])), json.loads(item["data"])) for item in items]
    except PayloadError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(f"not a Doudian push body: {exc!r}") from exc
    if any(not isinstance(data, dict) for _, _, data in decoded):
        raise PayloadError("Doudian push message whose data is not a JSON object")
    return decoded


def _message(item: dict, tag: int, data: dict) -> PushMessage:
    kind = "order" if tag in ORDER_TAGS else "refund" if tag in REFUND_TAGS else "other"
    order_id = text(data.get("p_id"))  # a JSON integer beyond 2^53: parsed as int, never float
    if kind != "other" and not order_id:
        raise PayloadError(f"Doudian tag {tag} message without p_id")
    if kind == "refund" and not text(data.get("aftersale_id")):
        raise PayloadError(f"Doudian tag {tag} message without aftersale_id")
    return PushMessage(
        kind=kind,
        topic=str(tag),
        external_id=text(data["aftersale_id"]) if kind == "refund" else order_id,
        message_id=text(item.get("msg_id")),
        platform_shop_id=text(data.get("shop_id")),
        payload={**item, "data": data},
        needs_fetch=kind != "other",
        order_id=order_id if kind == "refund" else "",
    )


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    return [_message(item, tag, data) for item, tag, data in _messages(body)]


def reply(ok: bool) -> PushReply:
    """Doudian counts only {"code":0,"msg":"success"} as delivered and resends anything else."""
    if ok:
        return PushReply(status=200, body={"code": 0, "msg": "success"})
    return PushReply(status=400, body={"code": 1, "msg": "rejected"})


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The Doudian shop id from the messages' data (`shop_id`); one body must concern one shop."""
    shop_ids = {text(data.get("shop_id")) for _, _, data in _messages(body)}
    if len(shop_ids) != 1 or "" in shop_ids:
        raise PayloadError(f"Doudian push names shops {sorted(shop_ids)}; expected exactly one")
    return shop_ids.pop()


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
