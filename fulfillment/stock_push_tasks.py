"""django-q entry points of the stock push: mark SKUs whose stock changed, push what is due."""

from django.utils import timezone

from fulfillment.services.stock_push import stock_push_calculate, stock_push_due


def stock_push_mark(sku_ids: list[int]) -> int:
    """Recalculates the shops' quantities of these SKUs; changed ones are pushed after the debounce."""
    return len(stock_push_calculate(sku_ids))


def stock_push_run() -> int:
    return stock_push_due(timezone.now())
