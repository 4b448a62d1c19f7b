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
    skip = pytest.mark.skip(reason="needs PostgreSQL row locks (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
