"""Master data writes: our SKUs and the shop SKU mappings (with bundles)."""

from dataclasses import dataclass

from django.db import transaction

from orderhub.events import Actor
from orderhub.exceptions import InvalidInput
from orderhub.models import Shop, Sku, SkuMapping, SkuMappingItem
from orderhub.services.lines import orders_remap_for_mapping

SKU_FIELDS = ("code", "name", "barcode", "weight_g", "price", "active")


def sku_save(*, sku: Sku | None = None, **fields) -> Sku:
    unknown = set(fields) - set(SKU_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown SKU fields: {', '.join(sorted(unknown))}")
    sku = sku or Sku()
    for name, value in fields.items():
        setattr(sku, name, value)
    if sku.barcode == "":
        sku.barcode = None
    sku.full_clean()
    sku.save()
    return sku


@dataclass(frozen=True)
class MappingItem:
    sku: Sku
    quantity: int = 1


def sku_mapping_save(
    *,
    shop: Shop,
    platform_sku_id: str = "",
    outer_sku_code: str = "",
    items: list[MappingItem],
    title: str = "",
    actor: Actor,
    mapping: SkuMapping | None = None,
) -> SkuMapping:
    """Creates or replaces a mapping, then re-maps the orders that were waiting for it."""
    if not platform_sku_id and not outer_sku_code:
        raise InvalidInput("a mapping needs a platform SKU id or an outer SKU code")
    if not items:
        raise InvalidInput("a mapping needs at least one of our SKUs")
    if len({item.sku.pk for item in items}) != len(items):
        raise InvalidInput("each of our SKUs may appear once in a mapping; add up the quantities")
    if any(item.quantity < 1 for item in items):
        raise InvalidInput("quantities must be at least 1")
    with transaction.atomic():
        if mapping is None:
            mapping = SkuMapping.objects.filter(
                shop=shop,
                platform_sku_id=platform_sku_id,
                **({} if platform_sku_id else {"outer_sku_code": outer_sku_code}),
            ).first() or SkuMapping(shop=shop)
        mapping.shop = shop
        mapping.platform_sku_id = platform_sku_id
        mapping.outer_sku_code = outer_sku_code
        mapping.title = title or mapping.title
        mapping.full_clean(validate_unique=True)
        mapping.save()
        mapping.items.all().delete()
        SkuMappingItem.objects.bulk_create(
            SkuMappingItem(mapping=mapping, sku=item.sku, quantity=item.quantity) for item in items
        )
        orders_remap_for_mapping(mapping=mapping, actor=actor)
    return mapping
