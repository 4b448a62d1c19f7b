import pytest

from orderhub.status import ALLOWED, OrderStatus, transition_allowed


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending_payment", "paid"),
        ("paid", "shipped"),
        ("paid", "cancelled"),
        ("shipped", "completed"),
        ("pending_payment", "completed"),
        ("shipped", "cancelled"),
    ],
)
def test_forward_transitions_are_allowed(current, target):
    assert transition_allowed(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("paid", "pending_payment"),
        ("shipped", "paid"),
        ("completed", "cancelled"),
        ("cancelled", "paid"),
        ("completed", "shipped"),
        ("paid", "paid"),
    ],
)
def test_backward_or_final_transitions_are_refused(current, target):
    assert not transition_allowed(current, target)


def test_every_status_has_a_row_in_the_table():
    assert set(ALLOWED) == set(OrderStatus.values)
    assert all(targets <= set(OrderStatus.values) for targets in ALLOWED.values())
