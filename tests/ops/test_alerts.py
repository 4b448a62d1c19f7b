"""Alerts: raised once, re-sent only when worse, acknowledged, cleared."""

import pytest

from orderhub.exceptions import InvalidInput
from orderhub.ops.models import Alert, AlertChannel, AlertNotification, AlertStatus
from orderhub.ops.services.alerts import alert_acknowledge, alert_clear, alert_raise

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel():
    return AlertChannel.objects.create(name="ops group", kind="wecom", webhook_url="http://127.0.0.1:9/robot")


def test_alert_fires_once_and_again_only_when_worse(channel, django_user_model):
    # given an alert raised for shop 3
    first = alert_raise(kind="sync_failures", key="shop:3", value=11, message="11 failures")
    assert first.fire_count == 1
    # when it is raised again no worse, then nothing more is sent
    same = alert_raise(kind="sync_failures", key="shop:3", value=11, message="11 failures")
    lower = alert_raise(kind="sync_failures", key="shop:3", value=10, message="10 failures")
    assert same.pk == first.pk == lower.pk
    assert Alert.objects.get(pk=first.pk).fire_count == 1
    assert AlertNotification.objects.count() == 1
    # when it is acknowledged and then gets worse, it opens and is sent again
    user = django_user_model.objects.create_user("ops", password="x-123456789")
    acked = alert_acknowledge(alert_id=first.pk, user=user)
    assert acked.status == AlertStatus.ACKNOWLEDGED and acked.owner == user
    worse = alert_raise(kind="sync_failures", key="shop:3", value=25, message="25 failures")
    assert worse.status == AlertStatus.OPEN
    assert worse.fire_count == 2
    assert AlertNotification.objects.count() == 2


def test_cleared_alert_starts_fresh(channel):
    alert_raise(kind="purchasing", key="SKU-1", value=3, message="3 orders wait for SKU-1")
    cleared = alert_clear(kind="purchasing", key="SKU-1")
    assert cleared.status == AlertStatus.RESOLVED
    again = alert_raise(kind="purchasing", key="SKU-1", value=1, message="1 order waits")
    assert again.pk != cleared.pk and again.fire_count == 1


def test_aliases_and_bad_input():
    alert = alert_raise(kind="unmapped_refund_status", key="taobao:WEIRD", value=1, message="unknown status")
    assert alert.kind == "refund_status_unmapped"
    with pytest.raises(InvalidInput):
        alert_raise(kind="nonsense", key="x", value=1, message="m")
    with pytest.raises(InvalidInput):
        alert_raise(kind="backlog", key="x", value="lots", message="m")
