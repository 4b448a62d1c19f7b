"""POST /hooks/<platform>/: verify, store raw, answer at once; a worker turns payloads into orders."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_sync.models import InboundSource
from channels_sync.platforms.base import PayloadError, PushReply, ShopAuth
from channels_sync.platforms.registry import PLATFORM_NAMES, get_adapter
from channels_sync.services.inbound import InboundItem, inbound_store, kept_headers, push_items
from channels_sync.shops import shop_auth
from channels_sync.tasks import schedule_drain
from orderhub.models import Shop

logger = logging.getLogger(__name__)
CALLBACK_URL_HEADER = "x-orderhub-callback-url"  # Shopee signs the callback URL along with the body


def _respond(reply: PushReply) -> HttpResponse:
    if isinstance(reply.body, dict | list):
        return JsonResponse(reply.body, status=reply.status, safe=False)
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)


@dataclass(frozen=True)
class PushShop:
    pk: int
    platform_shop_id: str
    auth: ShopAuth


_push_shops: dict[str, tuple[float, list[PushShop]]] = {}
PUSH_SHOPS_TTL_SECONDS = 10  # a new shop or new credentials take effect within this delay


def push_shops(platform: str) -> list[PushShop]:
    """The platform's active shops with decrypted credentials, cached briefly: every push needs them."""
    now = time.monotonic()
    cached = _push_shops.get(platform)
    if cached and now - cached[0] < PUSH_SHOPS_TTL_SECONDS:
        return cached[1]
    shops = [
        PushShop(shop.pk, shop.platform_shop_id, shop_auth(shop))
        for shop in Shop.objects.filter(platform=platform, active=True).order_by("pk")
    ]
    _push_shops[platform] = (now, shops)
    return shops


def candidate_shops(platform: str, identifier: str) -> list[PushShop]:
    """Shops a push may come from: by platform shop id, else by the app key it names.

    Relay pushes (Taobao TMC, PDD PMC) and some platforms identify the app rather than the shop; all
    shops of one app share its secret, so any of them can verify the signature.
    """
    shops = push_shops(platform)
    exact = [shop for shop in shops if identifier and shop.platform_shop_id == identifier]
    if exact:
        return exact
    by_app = [shop for shop in shops if identifier and shop.auth.app_key == identifier]
    return by_app or shops


def _verified_shop(push, headers: dict, body: bytes, platform: str) -> PushShop | None:
    try:
        identifier = push.shop_id_of(headers, body)
    except PayloadError:
        identifier = ""  # a malformed body may still carry a valid signature: try every app secret
    seen_secrets = set()
    for shop in candidate_shops(platform, identifier):
        if shop.auth.app_secret in seen_secrets:
            continue
        seen_secrets.add(shop.auth.app_secret)
        if push.verify(headers, body, shop.auth):
            return shop
    return None


@csrf_exempt
@require_POST
def platform_hook(request, platform: str):
    if platform not in PLATFORM_NAMES:
        return JsonResponse({"error": f"unknown platform {platform!r}"}, status=404)
    push = get_adapter(platform).push
    if push is None:
        return JsonResponse({"error": f"{platform} does not push; its orders are pulled"}, status=404)
    body = request.body
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers[CALLBACK_URL_HEADER] = request.build_absolute_uri()
    shop = _verified_shop(push, headers, body, platform)
    if shop is None:
        logger.warning("%s push refused: signature does not verify", platform)
        return JsonResponse({"error": "signature does not verify"}, status=401)
    text = body.decode("utf-8", errors="replace")
    try:
        messages = push.parse(headers, body)
    except PayloadError as exc:
        inbound_store(
            [
                InboundItem(
                    platform=platform,
                    source=InboundSource.PUSH,
                    shop_id=shop.pk,
                    payload=text,
                    push_headers=kept_headers(headers),
                    error=f"malformed push: {exc}",
                )
            ]
        )
        return _respond(push.reply(True))  # kept in the dead-letter list; a retry would fail the same way
    items = push_items(
        platform=platform,
        messages=messages,
        body_text=text,
        sender_shop_id=shop.pk,
        shops_by_platform_id={s.platform_shop_id: s.pk for s in push_shops(platform)},
    )
    if inbound_store(items):
        schedule_drain()
    return _respond(push.reply(True))
