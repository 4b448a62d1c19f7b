"""A domain-event subscriber for dispatcher tests."""

received: list[dict] = []


def record(**ids):
    received.append(ids)
