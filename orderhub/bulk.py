"""Inserting many new rows of one model at once: COPY on PostgreSQL, bulk_create elsewhere.

Ingestion inserts every new order with its lines, line SKUs and events. Django's bulk_create sends them
to PostgreSQL as UNNEST arrays that psycopg quotes in Python value by value: in a peak that was a quarter
of the drain's CPU. COPY rows are formatted by psycopg's C code; the ids come from the table's sequence
beforehand, so the objects come back with their primary keys, as bulk_create's do. Like bulk_create,
no model signal is sent and save() is not called.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db import connections, router
from django.db.models import Model

# Sequence names by database and table: a table's id sequence does not change while the process lives.
_sequences: dict[tuple[str, str], str] = {}
M = TypeVar("M", bound=Model)


def bulk_insert(objs: Iterable[M], *, batch_size: int = 1000) -> list[M]:
    """Inserts new instances of one model; returns them with their primary keys set."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    # The connection itself, not the thread-local proxy: fields read it for every value they prepare.
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    for obj in objs:
        # What bulk_create checks first: a related object assigned before it was saved has no id yet.
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")
    meta = model._meta
    unnumbered = [obj for obj in objs if obj.pk is None]
    ids = _reserve_ids(connection, meta.db_table, meta.pk.column, len(unnumbered))
    for obj, pk in zip(unnumbered, ids, strict=True):
        obj.pk = pk
    copy_rows(connection, meta.db_table, *copy_values(connection, model, objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def copy_values(connection, model: type[Model], objs: Iterable[Model]) -> tuple[list[str], list[tuple]]:
    """The columns and, per new instance, its database values in their order, as an insert writes them
    (auto_now fields filled, values prepared by their fields)."""
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    rows = [
        tuple(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
        for obj in objs
    ]
    return [field.column for field in fields], rows


def copy_rows(connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY prepared rows (database values in column order) into a table."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _reserve_ids(connection, table: str, column: str, count: int) -> list[int]:
    if not count:
        return []
    with connection.cursor() as cursor:
        key = (connection.alias, table)
        if key not in _sequences:
            quoted = connection.ops.quote_name(table)
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [quoted, column])
            (sequence,) = cursor.fetchone()
            if sequence is None:
                raise ValueError(f"{table}.{column} has no sequence: set the ids before bulk_insert")
            _sequences[key] = sequence
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [_sequences[key], count])
        return [pk for (pk,) in cursor.fetchall()]
