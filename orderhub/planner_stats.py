"""What autovacuum does for the benchmarks, on servers that run without it.

A bench fills tables from almost empty to tens of thousands of rows in a minute, and updates most rows it
inserts. On a server with autovacuum off (this project's test machines), the planner keeps judging those
tables by their size before the bench, and dead row versions pile up in their indexes, so the bench would
measure whole-table scans instead of OrderHub. A production PostgreSQL runs autovacuum.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection

# PostgreSQL's defaults: autovacuum_{vacuum,analyze}_threshold and _scale_factor, and the throttle
# autovacuum works under (autovacuum_vacuum_cost_delay, vacuum_cost_limit).
VACUUM_THRESHOLD_ROWS, VACUUM_SCALE_FACTOR = 50, 0.2
ANALYZE_THRESHOLD_ROWS, ANALYZE_SCALE_FACTOR = 50, 0.1
COST_DELAY_MS, COST_LIMIT = 2, 200
# autovacuum_naptime is a minute per database; a bench lasts a few, so its stand-in looks more often.
STAND_IN_NAPTIME_SECONDS = 10


def autovacuum_off() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        return cursor.fetchone()[0] == "off"


def tables_analyze(models, *, vacuum: bool = False) -> None:
    """ANALYZE (and VACUUM, which clears earlier runs' deleted rows) the tables of these models, now."""
    if not _can_maintain():
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {tables}")


def tables_maintain_due(models) -> dict[str, str]:
    """Does to these tables what autovacuum would do now, throttled as it is: VACUUM (ANALYZE) those
    whose dead rows passed its vacuum threshold, ANALYZE those whose changed rows passed its analyze
    threshold. Returns table → "vacuum" or "analyze"."""
    if not _can_maintain():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname, s.n_dead_tup > %s + %s * GREATEST(c.reltuples, 0), "
            "s.n_mod_since_analyze > %s + %s * GREATEST(c.reltuples, 0) "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY(%s)",
            [
                VACUUM_THRESHOLD_ROWS,
                VACUUM_SCALE_FACTOR,
                ANALYZE_THRESHOLD_ROWS,
                ANALYZE_SCALE_FACTOR,
                [model._meta.db_table for model in models],
            ],
        )
        due = {
            table: "vacuum" if vacuum else "analyze"
            for table, vacuum, analyze in sorted(cursor.fetchall())
            if vacuum or analyze
        }
        if due:
            cursor.execute(f"SET vacuum_cost_delay = {COST_DELAY_MS}")
            cursor.execute(f"SET vacuum_cost_limit = {COST_LIMIT}")
        for table, work in due.items():
            command = "VACUUM (ANALYZE)" if work == "vacuum" else "ANALYZE"
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")
    return due


@contextmanager
def autovacuum_stand_in(
    models, *, announce: Callable[[str], None], naptime: float = STAND_IN_NAPTIME_SECONDS
) -> Iterator[None]:
    """On a server with autovacuum off, a thread does to these tables what autovacuum would while the
    block runs (VACUUM and ANALYZE past its thresholds, throttled like it), every `naptime` seconds and
    once at the start. Otherwise the planner goes on judging them by their size before a bench and dead
    rows pile up in their indexes. Does nothing where autovacuum runs."""
    if not autovacuum_off():
        yield
        return
    announce("autovacuum is off on this server: a stand-in vacuums and analyses the tables the run fills")
    stop = threading.Event()

    def maintain():
        try:
            while not stop.wait(naptime):
                tables_maintain_due(models)
        finally:
            connection.close()

    thread = threading.Thread(target=maintain, name="autovacuum-stand-in", daemon=True)
    tables_maintain_due(models)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _can_maintain() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block
