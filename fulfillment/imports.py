"""Stock levels from a sheet (.xlsx/.csv): one row per warehouse code and SKU code.

All or nothing, like the master data imports. A row only describes the wanted level: the levels are
written at the end by `stock_set_levels`, under the stock row locks, so every changed on hand becomes a
StockAdjustment with reason "import" and allocated stock is never overwritten.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from fulfillment.models import Stock, Warehouse
from fulfillment.services.stock import StockLevelRow, stock_set_levels
from orderhub.imports import AllOrNothingResource
from orderhub.models import Sku

IMPORT_COLUMNS = ("warehouse", "sku", "on_hand", "safety_threshold", "bin_location")
EXPORT_COLUMNS = ("warehouse", "sku", "on_hand", "allocated", "safety_threshold", "bin_location")


class StockLevelResource(AllOrNothingResource):
    warehouse = fields.Field(
        attribute="warehouse",
        column_name="warehouse",
        widget=widgets.ForeignKeyWidget(Warehouse, field="code"),
    )
    sku = fields.Field(attribute="sku", column_name="sku", widget=widgets.ForeignKeyWidget(Sku, field="code"))

    class Meta:
        model = Stock
        import_id_fields = ("warehouse", "sku")
        fields = EXPORT_COLUMNS
        export_order = EXPORT_COLUMNS
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pending: list[StockLevelRow] = []

    def get_import_fields(self):
        # "allocated" is exported for reading; a sheet never sets it.
        return [self.fields[name] for name in IMPORT_COLUMNS]

    def get_queryset(self):
        return super().get_queryset().select_related("warehouse", "sku")

    def before_import_row(self, row, **kwargs):
        for key in ("warehouse", "sku"):
            if row.get(key) is not None:
                row[key] = str(row[key]).strip()
            if not row.get(key):
                raise ValueError(_("%(column)s is required") % {"column": key})
        if row.get("bin_location") is None:
            row["bin_location"] = ""

    def import_instance(self, instance, row, **kwargs):
        """Checks the row against the stock as it is now, so a preview already names the bad rows."""
        super().import_instance(instance, row, **kwargs)
        errors = {}
        for name in ("on_hand", "safety_threshold"):
            value = getattr(instance, name)
            if value is None:
                errors[name] = _("required")
            elif value < 0:
                errors[name] = _("cannot be negative")
        if "on_hand" not in errors and instance.on_hand < instance.allocated:
            errors["on_hand"] = _("below the %(allocated)d units allocated to orders") % {
                "allocated": instance.allocated
            }
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        """Never saves the row directly: the levels are set through the service after the last row."""
        self.pending.append(
            StockLevelRow(
                warehouse_id=instance.warehouse_id,
                sku_id=instance.sku_id,
                on_hand=instance.on_hand,
                safety_threshold=instance.safety_threshold,
                bin_location=instance.bin_location,
            )
        )

    def after_import(self, dataset, result, **kwargs):
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors() or not self.pending:
            return
        # A failure here (e.g. stock allocated since the preview) is reported and the import rolled back.
        stock_set_levels(self.pending, user=_user(kwargs.get("user")), source="import", reason="import")


def _user(user):
    return user if user is not None and user.is_authenticated else None
