import json
from pathlib import Path

import pytest
from django.db import connection

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"


def load_fixture(relative: str):
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


@pytest.fixture
def fixture_json():
    return load_fixture


def pytest_collection_modifyitems(config, items):
    """Row-lock concurrency tests need PostgreSQL; on SQLite they are skipped with a visible reason."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, planner statistics): set DATABASE_URL=postgres://..."
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_push_shop_cache():
    """Each test creates its own shops; the webhook's short-lived shop cache must not outlive a test."""
    from channels_sync import webhooks

    webhooks._push_shops.clear()
    yield
    webhooks._push_shops.clear()


@pytest.fixture(autouse=True)
def drains_without_gathering(settings):
    """The drain's gathering pause serves a live peak; in tests a drain claims again at once."""
    settings.INBOUND_DRAIN_GATHER_SECONDS = 0


@pytest.fixture(autouse=True)
def fresh_decision_tables():
    """A rolled-back test's rules must not live on in the per-process copy of the decision tables."""
    from fulfillment.decision_tables import decision_tables_forget

    decision_tables_forget()
    yield
    decision_tables_forget()
