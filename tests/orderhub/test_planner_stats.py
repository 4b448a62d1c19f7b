"""The benches do what autovacuum would to the tables they fill, on servers that run without it."""

import pytest
from django.db import connection

from orderhub.models import Shop
from orderhub.planner_stats import autovacuum_off, autovacuum_stand_in, tables_maintain_due
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_stand_in_maintains_the_tables_at_once_where_autovacuum_is_off_and_stays_out_of_its_way_else():
    tables_maintain_due([Shop])
    for n in range(100):
        make_shop(code=f"bulk-{n}")
    Shop.objects.filter(code__startswith="bulk-").update(name="renamed")
    _flush_own_statistics()
    said = []

    with autovacuum_stand_in([Shop], announce=said.append, naptime=3600):
        _flush_own_statistics()
        due_inside = tables_maintain_due([Shop]) if autovacuum_off() else None

    if autovacuum_off():
        assert len(said) == 1 and due_inside == {}  # vacuumed on entry
    else:
        assert said == []  # left to autovacuum
