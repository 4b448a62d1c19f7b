"""The ops console: alerts acknowledged and owned by staff, deliveries replayed by administrators."""

import pytest
from django.apps import apps
from django.urls import reverse

from orderhub.ops.models import AlertStatus, DeliveryStatus, WebhookDelivery, WebhookSubscription
from orderhub.ops.services.alerts import alert_raise
from orderhub.roles import ADMINISTRATOR, CUSTOMER_SERVICE, roles_sync
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roles():
    roles_sync(apps)


def test_customer_service_acknowledges_and_owns_alerts(client):
    alert = alert_raise(kind="backlog", key="all", value=327, message="当前订单积压量:327单")
    user = make_user("cs-1", groups=[CUSTOMER_SERVICE])
    client.force_login(user)
    url = reverse("admin:ops_alert_changelist")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "acknowledge", "_selected_action": [alert.pk]}, follow=True)
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == user and alert.owner == user


def test_only_administrators_replay_deliveries(client):
    subscription = WebhookSubscription.objects.create(
        name="crm", url="http://127.0.0.1:9/h", secret="s", events=["order.paid"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="order.paid",
        payload={"event": "order.paid"},
        status=DeliveryStatus.FAILED,
    )
    url = reverse("admin:ops_webhookdelivery_changelist")
    client.force_login(make_user("cs-2", groups=[CUSTOMER_SERVICE]))
    assert client.get(url).status_code == 403
    client.force_login(make_user("admin-1", groups=[ADMINISTRATOR]))
    response = client.post(url, {"action": "replay", "_selected_action": [delivery.pk]}, follow=True)
    assert response.status_code == 200
    assert WebhookDelivery.objects.filter(event="order.paid").count() == 2


def test_subscription_form_refuses_unknown_events(client):
    client.force_login(make_user("admin-2", groups=[ADMINISTRATOR]))
    response = client.post(
        reverse("admin:ops_webhooksubscription_add"),
        {
            "name": "erp",
            "url": "https://erp.example.com/h",
            "secret": "k",
            "events": '["order.exploded"]',
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "unknown events order.exploded" in response.content.decode()
    assert not WebhookSubscription.objects.exists()
