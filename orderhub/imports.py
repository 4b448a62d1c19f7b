"""Master data import/export (django-import-export): SKUs, and shop SKU mappings one component a row.

Rows are validated like a form (model validation included); a sheet with any bad row imports nothing.
"""

from decimal import InvalidOperation

from import_export import fields, resources, widgets

from orderhub.events import Actor
from orderhub.models import Shop, Sku, SkuMapping, SkuMappingItem
from orderhub.services.lines import orders_remap_for_mapping


class MoneyWidget(widgets.DecimalWidget):
    """A bad amount becomes a field error shown on its row, not a crash of the whole import."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except InvalidOperation:
            raise ValueError(f"not a valid amount: {value!r}") from None


class AllOrNothingResource(resources.ModelResource):
    """A sheet with any invalid row imports nothing, from the admin or from code."""

    def import_data(self, dataset, **kwargs):
        kwargs.setdefault("use_transactions", True)
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)


class SkuResource(AllOrNothingResource):
    price = fields.Field(attribute="price", column_name="price", widget=MoneyWidget())

    class Meta:
        model = Sku
        import_id_fields = ("code",)
        fields = ("code", "name", "barcode", "weight_g", "price", "active")
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        for key in ("code", "barcode"):
            if row.get(key) is not None:
                row[key] = str(row[key]).strip() or None
        if not row.get("code"):
            raise ValueError("code is required")


EXPORT_COLUMNS = ("shop", "platform_sku_id", "outer_sku_code", "title", "sku", "quantity")


class SkuMappingItemResource(AllOrNothingResource):
    """One row per mapped SKU: a bundle takes one row per component, with the same shop and key."""

    shop = fields.Field(attribute="mapping__shop__code", column_name="shop")
    platform_sku_id = fields.Field(attribute="mapping__platform_sku_id", column_name="platform_sku_id")
    outer_sku_code = fields.Field(attribute="mapping__outer_sku_code", column_name="outer_sku_code")
    title = fields.Field(attribute="mapping__title", column_name="title")
    mapping = fields.Field(
        attribute="mapping", column_name="mapping", widget=widgets.ForeignKeyWidget(SkuMapping)
    )
    sku = fields.Field(attribute="sku", column_name="sku", widget=widgets.ForeignKeyWidget(Sku, field="code"))
    quantity = fields.Field(attribute="quantity", column_name="quantity", widget=widgets.IntegerWidget())

    class Meta:
        model = SkuMappingItem
        import_id_fields = ("mapping", "sku")
        fields = (*EXPORT_COLUMNS, "mapping")
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.touched_mapping_ids: set[int] = set()

    def get_import_fields(self):
        return [self.fields[name] for name in ("mapping", "sku", "quantity")]

    def get_export_fields(self, selected_fields=None):
        return [self.fields[name] for name in EXPORT_COLUMNS]

    def before_import(self, dataset, **kwargs):
        # The sheet names the mapping by shop and key; the mapping id column is ours to fill per row.
        if "mapping" not in (dataset.headers or []):
            dataset.append_col([None] * len(dataset), header="mapping")

    def before_import_row(self, row, **kwargs):
        """Finds or creates the mapping a row belongs to, so the row itself only adds a component."""
        shop_code = str(row.get("shop") or "").strip()
        platform_sku_id = str(row.get("platform_sku_id") or "").strip()
        outer_sku_code = str(row.get("outer_sku_code") or "").strip()
        shop = Shop.objects.filter(code=shop_code).first()
        if shop is None:
            raise ValueError(f"unknown shop {shop_code!r}")
        if not platform_sku_id and not outer_sku_code:
            raise ValueError("platform_sku_id or outer_sku_code is required")
        if not row.get("quantity"):
            row["quantity"] = 1
        key = (
            {"platform_sku_id": platform_sku_id}
            if platform_sku_id
            else {"platform_sku_id": "", "outer_sku_code": outer_sku_code}
        )
        mapping, _ = SkuMapping.objects.get_or_create(
            shop=shop,
            **key,
            defaults={"outer_sku_code": outer_sku_code, "title": str(row.get("title") or "")[:200]},
        )
        row["mapping"] = mapping.pk
        self.touched_mapping_ids.add(mapping.pk)

    def after_import(self, dataset, result, **kwargs):
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        actor = Actor.system("sku mapping import")
        for mapping in SkuMapping.objects.filter(pk__in=self.touched_mapping_ids):
            orders_remap_for_mapping(mapping=mapping, actor=actor)
