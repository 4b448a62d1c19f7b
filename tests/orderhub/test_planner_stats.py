"""The benches do what autovacuum would to the tables they fill, on servers that run without it."""

import pytest
from django.db import connection

from orderhub.models import Shop
from orderhub.planner_stats import autovacuum_off, tables_maintain_due
from tests.factories import make_shop


def _flush_own_statistics() -> None:
    # A backend reports its row counts to the statistics system at most once a second.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tables_are_analysed_and_vacuumed_once_past_autovacuums_thresholds():
    make_shop(code="first")
    tables_maintain_due([Shop])  # whatever came before this test
    make_shop(code="second")
    _flush_own_statistics()
    assert tables_maintain_due([Shop]) == {}  # two changed rows: below the thresholds of 50

    for n in range(100):
        make_shop(code=f"bulk-{n}")
    _flush_own_statistics()
    assert tables_maintain_due([Shop]) == {Shop._meta.db_table: "analyze"}  # new rows, none dead

    Shop.objects.filter(code__startswith="bulk-").update(name="renamed")  # 100 dead row versions
    _flush_own_statistics()
    assert tables_maintain_due([Shop]) == {Shop._meta.db_table: "vacuum"}

    _flush_own_statistics()
    assert tables_maintain_due([Shop]) == {}  # just done


@pytest.mark.django_db
def test_nothing_is_maintained_inside_a_transaction_or_on_sqlite():
    make_shop(code="x")
    assert tables_maintain_due([Shop]) == {}
    assert autovacuum_off() in (True, False)
