"""Thin django-q2 entry points of the ops app (schedules are created by migration 0002)."""

from orderhub.dispatch import takes_batches
from orderhub.ops.services.channels import channels_flush as _channels_flush
from orderhub.ops.services.evaluate import alerts_evaluate as _alerts_evaluate
from orderhub.ops.services.evaluate import stuck_orders_scan as _stuck_orders_scan


def channels_flush() -> int:
    return _channels_flush()


def alerts_evaluate() -> dict:
    """The ops tick, every minute: probes, the outbox, webhook retries, holds announced as "order.held"."""
    from orderhub.ops.services.webhooks import holds_announce, webhooks_retry_due

    summary = _alerts_evaluate()
    summary["held_announced"] = holds_announce()
    summary["webhook_retries"] = webhooks_retry_due()
    # Whatever waits in the outbox (alerts that could not go within last minute's rate limit) goes now.
    summary["messages_sent"] = _channels_flush()
    return summary


def stuck_orders_scan() -> int:
    return _stuck_orders_scan()


def webhook_deliver(*, delivery_id: int) -> str:
    from orderhub.ops.services.webhooks import webhook_deliver as deliver

    return deliver(delivery_id=delivery_id).status


def webhooks_retry_due() -> int:
    from orderhub.ops.services.webhooks import webhooks_retry_due as retry_due

    return retry_due()


# Subscribers of the domain events (settings.DOMAIN_EVENT_SUBSCRIBERS): one per event, ids as keywords;
# each has a batch form, so a bulk ingest of 500 paid orders records its deliveries in one task.
def _subscriber(event: str):
    def record(calls: list[dict]) -> int:
        from orderhub.ops.services.webhooks import webhook_events_record

        return len(webhook_events_record(event=event, calls=calls))

    @takes_batches(record)
    def task(**ids) -> int:
        return record([ids])

    task.__name__ = task.__qualname__ = "on_" + event.replace(".", "_")
    return task


on_order_paid = _subscriber("order.paid")
on_order_held = _subscriber("order.held")
on_order_shipped = _subscriber("order.shipped")
on_order_delivered = _subscriber("order.delivered")
on_order_completed = _subscriber("order.completed")
on_order_cancelled = _subscriber("order.cancelled")
on_refund_changed = _subscriber("refund.changed")
on_stock_low = _subscriber("stock.low")
