"""Fresh planner statistics for the benchmarks, as autovacuum keeps them on a production PostgreSQL.

A bench fills tables from almost empty to tens of thousands of rows in a minute. On a server that runs
with autovacuum off (this project's test machines do), the planner keeps judging those tables by their
empty size and scans them whole, so the bench would measure that instead of OrderHub.
"""

from django.db import connection


def autovacuum_off() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0] == "off"


def tables_analyze(models, *, vacuum: bool = False) -> None:
    """ANALYZE (and VACUUM, which clears earlier runs' deleted rows) the tables of these models."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {tables}")
