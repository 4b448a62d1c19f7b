"""Every console page checked for permission leaks, for the warehouse and the customer-service roles.

A page is a leak when it answers 200 to a user without the permission it needs. Admin pages are swept
over every registered model (list, add, import/export); the project's own pages are listed with the
permission each needs, and a console URL missing from that list fails the test, so new pages get
checked too.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from orderhub.roles import CUSTOMER_SERVICE, FINANCE, WAREHOUSE, roles_sync
from tests.factories import make_order, make_shop, make_sku, make_user

pytestmark = pytest.mark.django_db
ROLES = (WAREHOUSE, CUSTOMER_SERVICE)
DENIED = {302, 403}  # 302: the admin sends a user without any access to its login page

# Console pages outside the admin: the permission each needs (None: public on purpose, checked elsewhere).
PAGES = {
    "": None,  # console home: shows each user only the tiles they may use
    "healthz": None,
    "i18n/setlang/": None,
    "dashboard/": "ops.view_dashboard",
    "admin-tools/orders/import/": "channels_sync.add_inboundevent",
    "sync/health/": "channels_sync.view_syncrun",
    "refunds/reconciliation/": "refunds.export_reconciliation",
    "refunds/returns/scan/": "refunds.receive_return",
    "warehouse/waves/": "fulfillment.view_wave",
    "warehouse/pack/": "fulfillment.add_packscan",
}
# Not console pages: machine endpoints with their own authentication (signatures, tokens), tested elsewhere.
MACHINE_PREFIXES = ("api/", "hooks/", "warehouse/tracking/")


def _urls(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _urls(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


@pytest.fixture
def users():
    roles_sync(apps)
    return {role: make_user(f"leak-{n}", groups=[role]) for n, role in enumerate((*ROLES, FINANCE))}


def _admin_urls():
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        yield (
            reverse(f"{base}_changelist"),
            {f"{opts.app_label}.view_{opts.model_name}", f"{opts.app_label}.change_{opts.model_name}"},
        )
        yield reverse(f"{base}_add"), {f"{opts.app_label}.add_{opts.model_name}"}
        for extra in ("export", "import"):
            try:
                url = reverse(f"{base}_{extra}")
            except NoReverseMatch:  # this model has no import / export
                continue
            if extra == "import":  # creates or changes rows (a stock count import changes stock)
                yield (
                    url,
                    {f"{opts.app_label}.add_{opts.model_name}", f"{opts.app_label}.change_{opts.model_name}"},
                )
                continue
            yield (
                url,
                {
                    f"{opts.app_label}.view_{opts.model_name}",
                    f"{opts.app_label}.change_{opts.model_name}",
                },
            )


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_need_their_model_permission(client, users, role):
    user = users[role]
    client.force_login(user)
    leaks, checked = [], 0
    for url, needs_any in _admin_urls():
        allowed = any(user.has_perm(p) for p in needs_any)
        status = client.get(url).status_code
        checked += 1
        if not allowed and status not in DENIED:
            leaks.append(f"{url} answered {status} without any of {sorted(needs_any)}")
        assert status < 500, f"{url} answered {status}"
    assert checked > 50  # a sanity floor: every registered model admin was visited
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("role", ROLES)
def test_console_pages_need_their_permission(client, users, role):
    user = users[role]
    client.force_login(user)
    unknown = []
    for url in _urls(get_resolver().url_patterns):
        if url.startswith(("admin/", *MACHINE_PREFIXES)) or "<" in url:
            continue
        if url not in PAGES:
            unknown.append(url)
            continue
        needed = PAGES[url]
        status = client.get("/" + url).status_code
        assert status < 500, f"/{url} answered {status}"
        if needed and not user.has_perm(needed):
            assert status in DENIED, f"/{url} answered {status} to {role} without {needed}"
    assert not unknown, f"console pages missing from PAGES (say which permission they need): {unknown}"


def test_warehouse_cannot_export_finance_or_see_personal_data(client, users):
    warehouse = users[WAREHOUSE]
    client.force_login(warehouse)
    assert client.get("/refunds/reconciliation/").status_code == 403
    order = make_order(make_shop(), phone="13987654321", name="李四")
    page = client.get(reverse("admin:orderhub_order_change", args=[order.pk])).content.decode()
    assert "13987654321" not in page and "李四" not in page
    assert "139****4321" in page
    api = client.get(f"/api/v1/orders/{order.pk}/").content.decode()
    assert "13987654321" not in api and "李四" not in api
    # finance, which may, gets the export page
    client.force_login(users[FINANCE])
    assert client.get("/refunds/reconciliation/").status_code == 200


def test_customer_service_cannot_change_system_rules(client, users):
    """Customer service tunes the decision rules it owns (gift, routing, carrier; see orderhub.roles) but
    not the rules of the system: alert channels, outbound webhooks, stock, warehouses, users and roles,
    schedules."""
    from orderhub.ops.models import AlertChannel, WebhookSubscription

    channel = AlertChannel.objects.create(name="ops", kind="email", recipients="a@example.com")
    hook = WebhookSubscription.objects.create(
        name="erp", url="https://erp.example.com/h", secret="s", events=["order.paid"]
    )
    cs = users[CUSTOMER_SERVICE]
    client.force_login(cs)
    for name, args in (
        ("admin:ops_alertchannel_change", [channel.pk]),
        ("admin:ops_alertchannel_add", []),
        ("admin:ops_webhooksubscription_change", [hook.pk]),
        ("admin:ops_webhookdelivery_changelist", []),
        ("admin:auth_user_changelist", []),
        ("admin:auth_group_changelist", []),
        ("admin:django_q_schedule_changelist", []),
        ("admin:fulfillment_warehouse_add", []),
    ):
        assert client.get(reverse(name, args=args)).status_code in DENIED, name
    response = client.post(
        reverse("admin:ops_alertchannel_change", args=[channel.pk]),
        {
            "name": "hijacked",
            "kind": "wecom",
            "webhook_url": "https://evil.example.com",
            "rate_per_minute": 20,
        },
    )
    assert response.status_code in DENIED
    channel.refresh_from_db()
    assert channel.name == "ops"
    sku = make_sku()
    assert not cs.has_perm("fulfillment.change_stock")
    assert client.get(reverse("admin:orderhub_sku_change", args=[sku.pk])).status_code in {200, 302, 403}
