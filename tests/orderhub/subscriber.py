"""Domain-event subscribers for dispatcher tests."""

from orderhub.dispatch import takes_batches

received: list[dict] = []
batches: list[list[dict]] = []


def record(**ids):
    received.append(ids)


def _batch(calls: list[dict]) -> None:
    if any(call["order_id"] == 666 for call in calls):
        raise RuntimeError("one bad order in the batch")
    batches.append(calls)


@takes_batches(_batch)
def record_batched(**ids):
    received.append(ids)
