"""The ingestion API's request and response shapes.

The order serializers document the normalized schema (the `normalize` command's output) for OpenAPI;
the orders themselves are read by `normalized_from_json`, so that an invalid order is stored as a
dead letter and reported on its own instead of refusing the whole request.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channels_sync.services.ingest import MAX_ORDERS, RESULTS
from orderhub.normalized import ORDER_STATUSES

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class IngestReceiverSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    province = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    district = serializers.CharField(required=False, allow_blank=True)
    detail = serializers.CharField(required=False, allow_blank=True, help_text="Street address.")


class IngestLineSerializer(serializers.Serializer):
    platform_sku_id = serializers.CharField(
        required=False, allow_blank=True, help_text="Your site's SKU id; this or outer_sku_code is required."
    )
    outer_sku_code = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Seller SKU code; our SKU code maps without a mapping row.",
    )
    title = serializers.CharField(required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(**MONEY)
    paid_amount = serializers.DecimalField(**MONEY, help_text="The line's share of the payment.")


class IngestOrderSerializer(serializers.Serializer):
    platform_order_id = serializers.CharField(
        max_length=64, help_text="Unique per shop: the idempotency key."
    )
    status = serializers.ChoiceField(choices=ORDER_STATUSES)
    raw_status = serializers.CharField(required=False, help_text="Your own status word; defaults to status.")
    currency = serializers.CharField(required=False, default="CNY")
    goods_amount = serializers.DecimalField(**MONEY, required=False)
    shipping_fee = serializers.DecimalField(**MONEY, required=False)
    discount = serializers.DecimalField(**MONEY, required=False)
    paid_amount = serializers.DecimalField(**MONEY)
    created_at = serializers.DateTimeField(required=False, help_text="ISO 8601 with offset.")
    paid_at = serializers.DateTimeField(required=False, allow_null=True)
    updated_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="An update older than the stored one is ignored (stale)."
    )
    buyer_id = serializers.CharField(required=False, allow_blank=True)
    buyer_remark = serializers.CharField(required=False, allow_blank=True)
    receiver = IngestReceiverSerializer(required=False)
    lines = IngestLineSerializer(many=True, min_length=1)


@extend_schema_field(IngestOrderSerializer(many=True))
class OrdersField(serializers.ListField):
    """Any JSON per item: each order is checked on its own by the service."""


class OrdersIngestSerializer(serializers.Serializer):
    shop = serializers.CharField(max_length=32, help_text="Code of an independent-site / offline shop.")
    orders = OrdersField(child=serializers.JSONField(), min_length=1, max_length=MAX_ORDERS)


class IngestResultSerializer(serializers.Serializer):
    platform_order_id = serializers.CharField()
    result = serializers.ChoiceField(choices=RESULTS)
    order_id = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class OrdersIngestResponseSerializer(serializers.Serializer):
    shop = serializers.CharField()
    summary = serializers.DictField(child=serializers.IntegerField(), help_text="Orders per result.")
    results = IngestResultSerializer(many=True)
