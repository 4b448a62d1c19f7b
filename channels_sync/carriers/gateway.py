"""Which e-waybill account and tracking provider a call goes to, from shops and settings.

E-waybills: a PDD shop's orders take PDD waybills signed with that shop's token; every other order
takes Cainiao waybills through a Taobao shop's TOP session (its own for Taobao orders, otherwise the
shop named by the WAYBILL_SHOP setting, or the first active Taobao shop).

Tracking: TRACKING_PROVIDER (kuaidi100 | kdniao) with KUAIDI100_CUSTOMER / KUAIDI100_KEY /
KUAIDI100_CALLBACK_SALT or KDNIAO_EBUSINESS_ID / KDNIAO_APP_KEY from the environment; in sandbox mode
(ORDERHUB_SANDBOX) the sandbox's accounts and URL.
"""

import os

import httpx
from django.conf import settings

from channels_sync.carriers.base import CarrierError
from channels_sync.carriers.cainiao import CainiaoWaybills
from channels_sync.carriers.pdd import PddWaybills
from channels_sync.carriers.tracking import KDNIAO_GATEWAY, KUAIDI100_GATEWAY, KDNiao, Kuaidi100
from channels_sync.platforms.pdd.client import Client as PddClient
from channels_sync.platforms.taobao.client import Client as TopClient
from channels_sync.shops import shop_auth
from orderhub.models import Shop

# Cainiao's order_channels_type per platform (unverified beyond TB / TM / JD / PDD; the rest OTHERS).
ORDER_CHANNELS = {"taobao": "TB", "jd": "JD", "pdd": "PDD", "douyin": "DY", "youzan": "YZ"}


def _setting(name: str, default: str = "") -> str:
    return str(getattr(settings, name, None) or os.environ.get(name) or default)


def waybill_account_shop(shop: Shop) -> Shop:
    if shop.platform in ("pdd", "taobao"):
        return shop
    code = _setting("WAYBILL_SHOP")
    candidates = Shop.objects.filter(platform="taobao", active=True)
    account = candidates.filter(code=code).first() if code else candidates.order_by("pk").first()
    if account is None:
        raise CarrierError(
            f"no Cainiao e-waybill account for shop {shop.code}: add an active Taobao shop "
            "or set WAYBILL_SHOP to one",
            code="no_waybill_account",
        )
    return account


def waybills_for(shop: Shop, http: httpx.Client) -> CainiaoWaybills | PddWaybills:
    account = waybill_account_shop(shop)
    if account.platform == "pdd":
        return PddWaybills(PddClient(shop_auth(account), http))
    return CainiaoWaybills(TopClient(shop_auth(account), http))


def order_channels_type(platform: str) -> str:
    return ORDER_CHANNELS.get(platform, "OTHERS")


def _sandbox_url(name: str) -> str:
    return f"{settings.ORDERHUB_SANDBOX_URL.rstrip('/')}/{name}"


def tracking_provider(http: httpx.Client, name: str | None = None) -> Kuaidi100 | KDNiao:
    from channels_sync.sandbox.logistics import KDNIAO, KUAIDI100

    name = name or _setting("TRACKING_PROVIDER", "kuaidi100")
    sandbox = settings.ORDERHUB_SANDBOX
    if name == "kuaidi100":
        return Kuaidi100(
            customer=_setting("KUAIDI100_CUSTOMER", KUAIDI100["customer"] if sandbox else ""),
            key=_setting("KUAIDI100_KEY", KUAIDI100["key"] if sandbox else ""),
            http=http,
            base_url=_setting("KUAIDI100_URL", _sandbox_url("kuaidi100") if sandbox else KUAIDI100_GATEWAY),
        )
    if name == "kdniao":
        return KDNiao(
            business_id=_setting("KDNIAO_EBUSINESS_ID", KDNIAO["business_id"] if sandbox else ""),
            app_key=_setting("KDNIAO_APP_KEY", KDNIAO["app_key"] if sandbox else ""),
            http=http,
            base_url=_setting("KDNIAO_URL", _sandbox_url("kdniao") if sandbox else KDNIAO_GATEWAY),
        )
    raise CarrierError(f"unknown tracking provider {name!r}; expected kuaidi100 or kdniao", code="config")


def kuaidi100_callback_salt() -> str:
    return _setting("KUAIDI100_CALLBACK_SALT", "sandbox-salt" if settings.ORDERHUB_SANDBOX else "")
