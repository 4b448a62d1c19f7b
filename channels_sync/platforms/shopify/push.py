"""Shopify webhooks: orders/* bodies are whole orders; refunds/create announces a refund of an order."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from channels_sync.platforms.base import PayloadError, PushHandler, PushMessage, PushReply, ShopAuth
from channels_sync.platforms.shopify.mapping import plain_id, shopify_id
from channels_sync.platforms.util import text

REFUND_TOPIC = "refunds/create"


def webhook_signature(client_secret: str, raw_body: bytes) -> str:
    """BASE64(HMAC_SHA256(client_secret, raw_body)), sent as X-Shopify-Hmac-Sha256."""
    digest = hmac.new(client_secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(headers: dict[str, str], body: bytes, auth: ShopAuth) -> bool:
    given = headers.get("x-shopify-hmac-sha256", "").strip().encode()
    return hmac.compare_digest(given, webhook_signature(auth.app_secret, body).encode())


def shop_id_of(headers: dict[str, str], body: bytes) -> str:
    """The shop's myshopify domain (X-Shopify-Shop-Domain), which OrderHub keeps as platform_shop_id."""
    domain = headers.get("x-shopify-shop-domain", "").strip()
    if not domain:
        raise PayloadError("Shopify webhook without X-Shopify-Shop-Domain")
    return domain


def parse(headers: dict[str, str], body: bytes) -> list[PushMessage]:
    topic = headers.get("x-shopify-topic", "").strip()
    if not topic:
        raise PayloadError("Shopify webhook without X-Shopify-Topic")
    try:
        payload = json.loads(body)  # Python ints stay exact, so big ids survive
    except ValueError as exc:
        raise PayloadError(f"Shopify webhook body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError(f"Shopify {topic} body is not an object")
    # Shopify re-sends a failed delivery with the same webhook id; without one the body itself is the key.
    message_id = headers.get("x-shopify-webhook-id", "").strip() or hashlib.sha256(body).hexdigest()
    shop = shop_id_of(headers, body)
    common = {"topic": topic, "message_id": message_id, "platform_shop_id": shop, "payload": payload}
    if topic.startswith("orders/"):
        external_id = shopify_id(payload, "order id")
        return [PushMessage(kind="order", external_id=external_id, needs_fetch=False, **common)]
    if topic == REFUND_TOPIC:
        return [
            PushMessage(
                kind="refund",
                external_id=shopify_id(payload, "refund id"),
                needs_fetch=False,
                order_id=plain_id(payload.get("order_id"), "refund order_id"),
                **common,
            )
        ]
    return [PushMessage(kind="other", external_id=text(payload.get("id")), needs_fetch=False, **common)]


def reply(ok: bool) -> PushReply:
    """Shopify wants any 2xx; 401 is what its docs ask for when the HMAC does not match."""
    if ok:
        return PushReply(200, {})
    return PushReply(401, {"errors": "webhook not accepted"})


PUSH_HANDLER = PushHandler(verify=verify, parse=parse, reply=reply, shop_id_of=shop_id_of)
