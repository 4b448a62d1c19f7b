import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from orderhub import roles
from orderhub.models import Order, OrderEvent, Platform, Shop, Sku

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_platform_status_and_role():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Shop.objects.count(), Sku.objects.count(), Order.objects.count(), OrderEvent.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (
        Shop.objects.count(),
        Sku.objects.count(),
        Order.objects.count(),
        OrderEvent.objects.count(),
    ) == counts
    assert set(Shop.objects.values_list("platform", flat=True)) == set(Platform.values) - {"manual"}
    assert set(Order.objects.values_list("status", flat=True)) == {
        "pending_payment",
        "paid",
        "shipped",
        "completed",
        "cancelled",
    }
    assert Sku.objects.filter(code__in=["ZP-2026-01", "FP-001"]).count() == 2
    assert all(len(b) == 13 for b in Sku.objects.values_list("barcode", flat=True))
    assert Order.objects.filter(holds__kind="unmapped_sku").count() == Shop.objects.count()
    users = get_user_model().objects
    assert users.get(username="kefu").groups.get().name == roles.CUSTOMER_SERVICE
    assert not users.get(username="kefu").has_perm("orderhub.view_personal_data")
    assert users.get(username="kefu_lead").has_perm("orderhub.view_personal_data")
    assert users.get(username="admin").check_password("orderhub-demo")


@pytest.mark.django_db
def test_role_groups_carry_the_permissions_their_work_needs():
    groups = {group.name: group for group in Group.objects.prefetch_related("permissions")}

    def perms(role):
        return {p.codename for p in groups[role].permissions.all()}

    assert {"resolve_hold", "cancel_order", "add_skumapping"} <= perms(roles.CUSTOMER_SERVICE)
    assert "view_personal_data" not in perms(roles.CUSTOMER_SERVICE)
    assert "cancel_order" not in perms(roles.WAREHOUSE) | perms(roles.FINANCE)
    assert {"view_personal_data", "add_user", "change_shop"} <= perms(roles.ADMINISTRATOR)


def test_check_deploy_with_production_settings_has_no_errors():
    env = os.environ | {
        "ORDERHUB_HTTPS": "1",
        "SECRET_KEY": "x" * 20 + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "orders.example.com",
        "DEBUG": "0",
    }
    # The browser tests' Playwright needs this in the test process; a deployment never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "ERRORS" not in result.stderr


def test_production_refuses_the_demo_keys():
    env = os.environ | {"ORDERHUB_HTTPS": "1"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "needs its own SECRET_KEY" in result.stderr
