"""Sending alerts to WeCom / DingTalk group robots and e-mail, rate-limited and batched per channel.

Alerts that fire are queued as AlertNotification rows (the outbox). `channel_flush` sends what is waiting
for one channel: as few messages as possible (several alerts per message), and never more messages in
any 60 seconds than the channel's `rate_per_minute` (WeCom robots refuse more than 20 a minute with
errcode 45009). What cannot go now stays queued for the next flush (the ops tick runs every minute).
"""

import base64
import hashlib
import hmac
import logging
import time
import urllib.parse
from datetime import datetime, timedelta

import httpx
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from orderhub.ops.locks import lock_channel
from orderhub.ops.models import (
    AlertChannel,
    AlertNotification,
    ChannelKind,
    ChannelMessage,
    NotificationStatus,
)

log = logging.getLogger(__name__)

MARKDOWN_LIMIT_BYTES = 4000  # WeCom markdown content is limited to 4096 bytes
TITLE = "OrderHub 告警"


def wecom_body(text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": text}}


def dingtalk_body(text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": TITLE, "text": text}}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk 加签: HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret, base64, URL-encoded."""
    if not secret:
        return url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"


def _chunks(texts: list[tuple[int, str]], per_message: int) -> list[list[tuple[int, str]]]:
    chunks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for pk, text in texts:
        length = len(text.encode()) + 2
        if current and (len(current) >= per_message or size + length > MARKDOWN_LIMIT_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append((pk, text[: MARKDOWN_LIMIT_BYTES - 100]))
        size += length
    if current:
        chunks.append(current)
    return chunks


def message_body(channel: AlertChannel, texts: list[str]) -> dict:
    text = "\n\n".join(texts)
    if channel.kind == ChannelKind.WECOM:
        return wecom_body(text)
    if channel.kind == ChannelKind.DINGTALK:
        return dingtalk_body(text)
    return {"subject": TITLE, "text": text}


def _send(channel: AlertChannel, body: dict) -> tuple[bool, str]:
    if channel.kind == ChannelKind.EMAIL:
        recipients = [r.strip() for r in channel.recipients.split(",") if r.strip()]
        if not recipients:
            return False, "no recipients"
        send_mail(body["subject"], body["text"], None, recipients)
        return True, f"mailed to {len(recipients)}"
    url = channel.webhook_url
    if channel.kind == ChannelKind.DINGTALK:
        url = dingtalk_signed_url(url, channel.secret)
    try:
        response = httpx.post(url, json=body, timeout=5.0)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"[:500]
    text = response.text[:500]
    if response.status_code != 200:
        return False, f"HTTP {response.status_code}: {text}"
    try:
        errcode = response.json().get("errcode", 0)
    except ValueError:
        return False, f"not JSON: {text}"
    return errcode == 0, text


def channel_flush(*, channel_id: int, now: datetime | None = None) -> int:
    """Sends what waits for this channel within its rate limit. Returns the number of messages sent."""
    now = now or timezone.now()
    with transaction.atomic():
        channel = lock_channel(channel_id)
        if channel is None or not channel.active:
            return 0
        recent = ChannelMessage.objects.filter(
            channel=channel, sent_at__gt=now - timedelta(seconds=60)
        ).count()
        allowed = max(channel.rate_per_minute - recent, 0)
        if not allowed:
            return 0
        pending = list(
            AlertNotification.objects.filter(
                channel=channel, status=NotificationStatus.PENDING, message__isnull=True
            )
            .order_by("pk")
            .values_list("pk", "text")
        )
        chunks = _chunks(pending, channel.max_alerts_per_message)[:allowed]
        claimed: list[tuple[ChannelMessage, list[int]]] = []
        for chunk in chunks:
            message = ChannelMessage.objects.create(
                channel=channel, body=message_body(channel, [text for _pk, text in chunk]), sent_at=now
            )
            ids = [pk for pk, _text in chunk]
            AlertNotification.objects.filter(pk__in=ids).update(message=message)
            claimed.append((message, ids))
    # Outside the lock: the robot may be slow; the messages already count against the rate limit.
    sent = 0
    for message, ids in claimed:
        try:
            ok, response = _send(channel, message.body)
        except Exception as exc:  # a broken mail server must not lose the queue
            ok, response = False, f"{type(exc).__name__}: {exc}"[:500]
        message.ok = ok
        message.response = response
        message.save(update_fields=["ok", "response"])
        if ok:
            AlertNotification.objects.filter(pk__in=ids).update(status=NotificationStatus.SENT)
            sent += 1
        else:
            log.warning("alert channel %s refused a message: %s", channel.name, response)
            # Back to the queue: the next flush tries again.
            AlertNotification.objects.filter(pk__in=ids).update(message=None)
    return sent


def channels_flush(*, now: datetime | None = None) -> int:
    channel_ids = (
        AlertNotification.objects.filter(status=NotificationStatus.PENDING, message__isnull=True)
        .values_list("channel_id", flat=True)
        .distinct()
    )
    return sum(channel_flush(channel_id=pk, now=now) for pk in list(channel_ids))
