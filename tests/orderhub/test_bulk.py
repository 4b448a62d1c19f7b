"""bulk_insert: COPY with ids from the sequence on PostgreSQL, bulk_create elsewhere; same result."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from orderhub.bulk import _reserve_ids, bulk_insert
from orderhub.models import ActorType, Order, OrderEvent
from tests.factories import make_shop

pytestmark = pytest.mark.django_db
PAID_AT = datetime(2026, 11, 11, 0, 0, 5, tzinfo=UTC)


def _order(shop, platform_order_id: str, **fields) -> Order:
    values = {
        "status": "paid",
        "receiver_name": "张三",
        "receiver_phone": "13800138000",
        "receiver_detail": "文三路 90 号",
        "paid_amount": Decimal("199.90"),
        "platform_paid_at": PAID_AT,
        "raw_payload": {"tid": platform_order_id, "note": "含\t制表符\n和换行 \\ 与反斜杠", "n": 1},
    }
    return Order(shop=shop, platform_order_id=platform_order_id, **(values | fields))


def test_inserted_rows_read_back_as_written_and_the_objects_carry_their_ids():
    shop = make_shop()
    orders = bulk_insert(
        [_order(shop, "B1"), _order(shop, "B2", buyer_remark="", paid_amount=Decimal("0.01"))]
    )

    assert len({order.pk for order in orders}) == 2 and all(order.pk for order in orders)
    assert not any(order._state.adding for order in orders)
    stored = {order.platform_order_id: order for order in Order.objects.filter(pk__in=[o.pk for o in orders])}
    first = stored["B1"]
    assert first.pk == orders[0].pk
    assert (first.receiver_name, first.receiver_phone, first.receiver_detail) == (
        "张三",
        "13800138000",
        "文三路 90 号",
    )
    assert (first.paid_amount, first.platform_paid_at) == (Decimal("199.90"), PAID_AT)
    assert first.raw_payload == {"tid": "B1", "note": "含\t制表符\n和换行 \\ 与反斜杠", "n": 1}
    assert first.created_at is not None and first.created_at == orders[0].created_at
    assert stored["B2"].paid_amount == Decimal("0.01")


def test_the_id_sequence_moves_on_so_later_saves_do_not_collide():
    shop = make_shop()
    inserted = bulk_insert([_order(shop, "S1")])[0]

    saved = Order.objects.create(shop=shop, platform_order_id="S2", status="paid")

    assert saved.pk > inserted.pk


def test_postgresql_inserts_through_copy():
    shop = make_shop()
    with CaptureQueriesContext(connection) as queries:
        bulk_insert([_order(shop, "C1"), _order(shop, "C2")])

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert "COPY" in statements and "INSERT" not in statements
    else:
        assert "INSERT" in statements


def test_a_duplicate_order_raises_integrity_error_as_bulk_create_does():
    """The upsert retries a batch on IntegrityError when a concurrent batch inserted the same order."""
    shop = make_shop()
    bulk_insert([_order(shop, "D1")])

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([_order(shop, "D2"), _order(shop, "D1")])

    assert list(Order.objects.filter(shop=shop).values_list("platform_order_id", flat=True)) == ["D1"]


def test_related_objects_must_be_saved_first():
    shop = make_shop()
    unsaved = _order(shop, "U1")

    with pytest.raises(ValueError, match="unsaved related object"):
        bulk_insert([OrderEvent(order=unsaved, type="note", actor_type=ActorType.SYSTEM)])


def test_nothing_to_insert_is_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert bulk_insert([]) == []
    assert not queries.captured_queries


@pytest.mark.postgres
def test_a_table_without_an_id_sequence_is_refused_clearly():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bulk_no_sequence (id bigint PRIMARY KEY)")

    with pytest.raises(ValueError, match=r"bulk_no_sequence\.id has no sequence"):
        _reserve_ids(connection, "bulk_no_sequence", "id", 2)
