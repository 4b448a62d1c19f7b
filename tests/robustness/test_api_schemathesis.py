"""The REST API fuzzed from its own OpenAPI schema (drf-spectacular) with schemathesis: no 500s.

Bounded on purpose (a few examples per operation, no shrinking deadline) so the suite stays fast;
raise SCHEMATHESIS_EXAMPLES locally for a deeper run.
"""

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.factories import make_order, make_shop, make_sku, make_user

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture(autouse=True)
def keep_test_connection():
    """schemathesis calls the WSGI application directly, not through Django's test client, so Django's
    request signals would close the test's database connection after each request (the test runs in a
    transaction, which PostgreSQL would then lose). Django's own test client detaches them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    from rest_framework.authtoken.models import Token

    user = make_user("api-fuzz", superuser=True)
    shop = make_shop()
    make_sku()
    make_order(shop)
    return Token.objects.create(user=user).key


def test_api_never_answers_500(token):
    from orderhub.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8  # the schema really lists the API (shops, SKUs, mappings, orders...)
    statuses: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            response = case.call(headers={"Authorization": f"Token {token}"})
            statuses[response.status_code // 100] += 1
            case.validate_response(response, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc
    # the fuzzing reached the views (authenticated answers), and bad input got clear 4xx answers
    assert statuses[2] > 0 and statuses[4] > 0, statuses
