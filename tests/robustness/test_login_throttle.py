"""Console login throttling (django-axes via orderhub.ops.login_throttle)."""

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")


def _login(client, username, password, ip="10.0.0.7"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_account_from_that_address(client, settings):
    user = make_user("packer")
    user.set_password("right-horse-battery-9")
    user.is_staff = True
    user.save()
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert _login(client, "packer", "wrong").status_code == 200  # the form again, with its error
    # the fifth failure locks: from now on even the right password is refused with 429
    assert _login(client, "packer", "wrong").status_code == 429
    locked = _login(client, "packer", "right-horse-battery-9")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # the same user from another address, and another user from this one, are not locked
    assert _login(client, "packer", "right-horse-battery-9", ip="10.0.0.8").status_code == 302
    other = make_user("picker")
    other.set_password("another-long-pass-7")
    other.is_staff = True
    other.save()
    client.logout()
    assert _login(client, "picker", "another-long-pass-7").status_code == 302


def test_a_success_resets_the_count(client):
    user = make_user("cs")
    user.set_password("right-horse-battery-9")
    user.is_staff = True
    user.save()
    for _ in range(4):
        _login(client, "cs", "wrong")
    assert _login(client, "cs", "right-horse-battery-9").status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "cs", "wrong").status_code == 200
    assert _login(client, "cs", "right-horse-battery-9").status_code == 302


def test_logins_without_a_request_are_not_throttled():
    from django.contrib.auth import authenticate

    user = make_user("script")
    user.set_password("right-horse-battery-9")
    user.save()
    assert authenticate(username="script", password="right-horse-battery-9") == user


def test_an_overlong_username_is_a_wrong_login_not_a_server_error(client):
    assert _login(client, "x" * 300, "y").status_code == 200
    response = client.post("/api/v1/auth/token/", {"username": "x" * 300, "password": "y"})
    assert response.status_code == 400
