"""The staff roles and what each may do. Migrations call `roles_sync` so a fresh database has them.

Later apps add their permissions to these lists and call `roles_sync` from a migration of their own.
"""

CUSTOMER_SERVICE = "客服 customer service"
WAREHOUSE = "仓库 warehouse"
FINANCE = "财务 finance"
ADMINISTRATOR = "管理员 administrator"

_VIEW_MASTER_DATA = [
    "orderhub.view_shop",
    "orderhub.view_sku",
    "orderhub.view_skumapping",
    "orderhub.view_skumappingitem",
]
_VIEW_ORDERS = [
    "orderhub.view_order",
    "orderhub.view_orderline",
    "orderhub.view_orderlinesku",
    "orderhub.view_orderevent",
    "orderhub.view_hold",
]

_VIEW_SYNC = [
    "channels_sync.view_inboundevent",
    "channels_sync.view_syncrun",
    "channels_sync.view_shopsyncstate",
]

_VIEW_FULFILLMENT = [
    "fulfillment.view_stock",
    "fulfillment.view_warehouse",
    "fulfillment.view_carrier",
    "fulfillment.view_allocation",
]
# The decision rules (gift, routing, carrier, the hold settings): customer service reads them to explain
# a decision; only administrators change them (issue 7: customer service cannot change rules).
_VIEW_RULES = [
    f"fulfillment.view_{model}"
    for model in ("giftrule", "routingrule", "routingrulewarehouse", "carrierrule", "fulfillmentsettings")
]

# Warehouse execution: waves, pack station, waybills, ship write-back, tracking.
_VIEW_WAREHOUSE_EXECUTION = [
    f"fulfillment.view_{model}"
    for model in (
        "wave",
        "waveorder",
        "parcel",
        "packscan",
        "waybill",
        "repickup",
        "shipwriteback",
        "trackingevent",
    )
]
_RUN_WAREHOUSE = [
    "fulfillment.add_wave",
    "fulfillment.change_wave",
    "fulfillment.add_packscan",
    "fulfillment.change_waybill",
    "fulfillment.change_repickup",
    "fulfillment.change_shipwriteback",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER_SERVICE: [
        *_VIEW_SYNC,
        "channels_sync.replay_inboundevent",
        *_VIEW_MASTER_DATA,
        *_VIEW_ORDERS,
        "orderhub.add_skumapping",
        "orderhub.change_skumapping",
        "orderhub.add_skumappingitem",
        "orderhub.change_skumappingitem",
        "orderhub.delete_skumappingitem",
        "orderhub.change_hold",
        "orderhub.resolve_hold",
        "orderhub.cancel_order",
        "orderhub.mark_priority",
        *_VIEW_FULFILLMENT,
        *_VIEW_RULES,
        # Offline order sheets, and the VIP / loyal tags the priority and carrier rules read.
        "channels_sync.add_inboundevent",
        "fulfillment.view_buyertag",
        "fulfillment.add_buyertag",
        "fulfillment.change_buyertag",
        "fulfillment.delete_buyertag",
        "fulfillment.view_orderfulfillment",
        # Merge candidates into one parcel, or split a merged parcel again.
        "fulfillment.view_mergegroup",
        "fulfillment.add_mergegroup",
        *_VIEW_WAREHOUSE_EXECUTION,
        "fulfillment.change_waybill",  # void a waybill (refund intercepts)
        "fulfillment.change_shipwriteback",
    ],
    WAREHOUSE: [
        *_VIEW_MASTER_DATA,
        *_VIEW_ORDERS,
        "orderhub.change_sku",
        *_VIEW_FULFILLMENT,
        "fulfillment.change_stock",
        "fulfillment.view_stockadjustment",
        "fulfillment.add_stockadjustment",
        "fulfillment.view_orderfulfillment",
        "fulfillment.view_mergegroup",
        *_VIEW_WAREHOUSE_EXECUTION,
        *_RUN_WAREHOUSE,
    ],
    FINANCE: [*_VIEW_MASTER_DATA, *_VIEW_ORDERS, *_VIEW_SYNC, "fulfillment.view_stock"],
    # Administrators get every permission of OrderHub's apps plus user management.
    ADMINISTRATOR: [],
}
# Refunds and finance (refunds app): customer service works the refund queue and the status mapping,
# the warehouse receives returns, finance reads refunds and exports the reconciliation.
_VIEW_REFUNDS = [
    f"refunds.view_{model}"
    for model in (
        "refund",
        "refundline",
        "refundevent",
        "refundstatusmapping",
        "refundstatusmappingchange",
        "returnparcel",
        "returninspection",
        "refundsyncstate",
        "refundpolicysettings",
    )
]
ROLE_PERMISSIONS[CUSTOMER_SERVICE] += [
    *_VIEW_REFUNDS,
    "refunds.decide_refund",
    "refunds.add_refundstatusmapping",
    "refunds.change_refundstatusmapping",
]
ROLE_PERMISSIONS[WAREHOUSE] += [
    "refunds.view_refund",
    "refunds.view_returnparcel",
    "refunds.view_returninspection",
    "refunds.receive_return",
]
ROLE_PERMISSIONS[FINANCE] += [*_VIEW_REFUNDS, "refunds.export_reconciliation"]
ADMINISTRATOR_APPS = ("orderhub", "channels_sync", "fulfillment", "refunds", "auth", "authtoken", "django_q")
# Operations (ops app): everyone sees the dashboard and the alerts and may acknowledge them; the alert
# channels and outbound webhooks are the administrators' (they hold robot keys and signing secrets).
_OPS_ALERTS = ["ops.view_dashboard", "ops.view_alert", "ops.acknowledge_alert"]
for _role in (CUSTOMER_SERVICE, WAREHOUSE, FINANCE):
    ROLE_PERMISSIONS[_role] += _OPS_ALERTS
ADMINISTRATOR_APPS += ("ops",)


def roles_sync(apps, schema_editor=None) -> None:
    """Creates the role groups and sets their permissions (idempotent; usable from migrations)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMINISTRATOR:
            permissions = Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
        else:
            wanted = {tuple(code.split(".", 1)) for code in codes}
            permissions = [
                p
                for p in Permission.objects.select_related("content_type")
                if (p.content_type.app_label, p.codename) in wanted
            ]
            missing = wanted - {(p.content_type.app_label, p.codename) for p in permissions}
            # Permissions of apps migrated later are added by their own migration's call to roles_sync.
            missing = {(app, code) for app, code in missing if _exists_yet(apps, app, code)}
            if missing:
                raise RuntimeError(f"role {role} names unknown permissions: {sorted(missing)}")
        group.permissions.set(permissions)


def _exists_yet(apps, app_label: str, codename: str) -> bool:
    """Whether a permission should already exist at this point of the migration history."""
    action, _, model_name = codename.partition("_")
    if action in {"add", "change", "delete", "view"}:
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            return False  # its model comes in a later migration
        return True
    try:
        return any(True for _ in apps.get_app_config(app_label).get_models())
    except LookupError:
        return False
