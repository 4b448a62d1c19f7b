"""Alert channels against a local stand-in robot: the exact WeCom / DingTalk JSON, signing, rate limit."""

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orderhub.ops.models import AlertChannel, AlertNotification, ChannelMessage, NotificationStatus
from orderhub.ops.services.alerts import alert_raise
from orderhub.ops.services.channels import channel_flush, channels_flush, dingtalk_signed_url

pytestmark = pytest.mark.django_db

BACKLOG = "当前订单积压量:327单,处理速率:89单/分钟,预计清空时间:14:23"


def test_wecom_gets_the_exact_markdown_message(robot):
    # given a WeCom group robot channel
    channel = AlertChannel.objects.create(
        name="仓库群", kind="wecom", webhook_url=f"{robot.url}/cgi-bin/webhook/send?key=abc"
    )
    # when a backlog alert fires and the outbox is flushed
    alert_raise(kind="backlog", key="all", value=327, message=BACKLOG)
    assert channels_flush() == 1
    # then the robot received WeCom's markdown message, byte for byte as JSON
    assert len(robot.requests) == 1
    request = robot.requests[0]
    assert request["path"] == "/cgi-bin/webhook/send?key=abc"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {
        "msgtype": "markdown",
        "markdown": {"content": f"🟠 **订单积压** all\n{BACKLOG}"},
    }
    assert AlertNotification.objects.get().status == NotificationStatus.SENT
    assert ChannelMessage.objects.get(channel=channel).ok


def test_wecom_rate_limit_20_a_minute_and_the_rest_batched(robot):
    channel = AlertChannel.objects.create(name="ops", kind="wecom", webhook_url=f"{robot.url}/send")
    now = timezone.now()
    # given 25 different alerts firing one after another within the same minute, flushed after each
    for n in range(25):
        alert_raise(
            kind="sync_failures", key=f"shop:{n}", value=11 + n, message=f"shop {n}: {11 + n} failures"
        )
        channel_flush(channel_id=channel.pk, now=now + timedelta(seconds=n))
    # then the robot got exactly 20 messages in that minute; 5 alerts still wait
    assert len(robot.requests) == 20
    waiting = AlertNotification.objects.filter(status=NotificationStatus.PENDING)
    assert waiting.count() == 5
    # when the minute has passed, the 5 go together in one message
    sent = channel_flush(channel_id=channel.pk, now=now + timedelta(seconds=61))
    assert sent == 1 and len(robot.requests) == 21
    content = json.loads(robot.requests[-1]["body"])["markdown"]["content"]
    assert [f"shop:{n}" in content for n in range(20, 25)] == [True] * 5
    assert not waiting.exists()


def test_a_refused_message_stays_queued(robot):
    channel = AlertChannel.objects.create(name="ops", kind="wecom", webhook_url=f"{robot.url}/send")
    robot.answers.append((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    alert_raise(kind="inflow", key="all", value=600, message="订单流入:600单/分钟")
    assert channel_flush(channel_id=channel.pk) == 0
    assert AlertNotification.objects.get().status == NotificationStatus.PENDING
    assert channel_flush(channel_id=channel.pk) == 1
    assert AlertNotification.objects.get().status == NotificationStatus.SENT
    assert len(robot.requests) == 2


def test_dingtalk_markdown_and_signature(robot):
    secret = "SEC0123456789abcdef"
    AlertChannel.objects.create(
        name="钉钉", kind="dingtalk", webhook_url=f"{robot.url}/robot/send?access_token=t", secret=secret
    )
    alert_raise(kind="low_stock", key="CAT-DRY-5K", value=4, message="SKU CAT-DRY-5K 库存不足", level=2)
    channels_flush()
    request = robot.requests[0]
    assert json.loads(request["body"]) == {
        "msgtype": "markdown",
        "markdown": {
            "title": "OrderHub 告警",
            "text": "🔴 **库存不足且有待发订单** CAT-DRY-5K\nSKU CAT-DRY-5K 库存不足",
        },
    }
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"][0] == expected
    assert query["access_token"] == ["t"]


def test_dingtalk_signed_url_is_deterministic():
    url = dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=x", "s", timestamp_ms=1700000000000
    )
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1700000000000&sign=")
    assert dingtalk_signed_url("https://h/send?access_token=x", "") == "https://h/send?access_token=x"


def test_email_channel():
    AlertChannel.objects.create(name="mail", kind="email", recipients="ops@example.com, boss@example.com")
    alert_raise(kind="backlog", key="all", value=327, message=BACKLOG)
    assert channels_flush() == 1
    assert mail.outbox[0].to == ["ops@example.com", "boss@example.com"]
    assert BACKLOG in mail.outbox[0].body


def test_channel_filters_kinds():
    AlertChannel.objects.create(
        name="stock only", kind="email", recipients="a@example.com", kinds=["low_stock"]
    )
    alert_raise(kind="backlog", key="all", value=327, message=BACKLOG)
    assert not AlertNotification.objects.exists()
