"""Shopee push (webhook) messages: signature check, parsing, reply.

Shopee signs `callback_url + "|" + raw body`, so verifying needs the URL it posted to. The webhook
view puts `request.build_absolute_uri()` into the headers under `x-orderhub-callback-url` before
calling `verify`; it must be the URL registered with Shopee, byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.util import text

from .client import push_signature
from .mapping import ORDER_STATUS_PUSH, identifier

CALLBACK_URL_HEADER = "x-orderhub-callback-url"


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    """Authorization must equal HEX(HMAC_SHA256(partner_key, callback_url + "|" + raw body))."""
    callback_url = headers.get(CALLBACK_URL_HEADER, "")
    signature = headers.get("authorization", "").lower().encode()
    if not callback_url or not signature:
        return False
    return hmac.compare_digest(signature, push_signature(auth.app_secret, callback_url, body).encode())


def _body(body: bytes) -> dict:
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"shopee push is not JSON: {exc}") from exc
    if not isinstance(message, dict) or "code" not in message or "shop_id" not in message:
        raise PayloadError("shopee push is not an object with shop_id and code")
    return message


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    message = _body(body)
    data = message.get("data")
    if not isinstance(data, dict):
        raise PayloadError("shopee push data is not an object")
    code = message["code"]
    shop_id = identifier(message["shop_id"])
    if code == ORDER_STATUS_PUSH:
        order_sn = text(data.get("ordersn"))
        if not order_sn:
            raise PayloadError("shopee order status push without data.ordersn")
        # Shopee gives pushes no id of their own; an order's state change is unique by status and time.
        message_id = f"{order_sn}:{text(data.get('status'))}:{text(data.get('update_time'))}"
        return [
            PushMessage(
                kind="order",
                topic=str(code),
                external_id=order_sn,
                message_id=message_id,
                platform_shop_id=shop_id,
                payload=message,
                needs_fetch=True,
            )
        ]
    digest = hashlib.sha256(body).hexdigest()[:32]
    return [
        PushMessage(
            kind="other",
            topic=str(code),
            external_id=text(data.get("ordersn")),
            message_id=f"{code}:{digest}",
            platform_shop_id=shop_id,
            payload=message,
            needs_fetch=False,
        )
    ]


def reply(ok: bool) -> PushReply:
    """HTTP 200 with an empty JSON object acknowledges; any other status makes Shopee retry."""
    return PushReply(status=200 if ok else 500, body={})


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The body's shop_id (Shopee's shop id; the partner is the app, not the shop)."""
    return identifier(_body(body)["shop_id"])


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
