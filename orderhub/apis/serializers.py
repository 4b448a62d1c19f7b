from rest_framework import serializers

from orderhub import personal_data
from orderhub.models import Hold, Order, OrderEvent, OrderLine, Shop, Sku, SkuMapping


class ShopSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = (
            "id",
            "code",
            "name",
            "platform",
            "platform_shop_id",
            "active",
            "pull_enabled",
            "token_expires_at",
        )


class SkuSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sku
        fields = ("id", "code", "name", "barcode", "weight_g", "price", "active")


class SkuMappingItemSerializer(serializers.Serializer):
    sku = serializers.SlugRelatedField(slug_field="code", queryset=Sku.objects.all())
    quantity = serializers.IntegerField(min_value=1, default=1)


class SkuMappingSerializer(serializers.ModelSerializer):
    shop = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all())
    items = SkuMappingItemSerializer(many=True, min_length=1)

    class Meta:
        model = SkuMapping
        fields = ("id", "shop", "platform_sku_id", "outer_sku_code", "title", "items", "updated_at")
        read_only_fields = ("updated_at",)
        validators = []  # uniqueness is the service's to decide (it updates the existing mapping)

    def to_representation(self, mapping):
        data = super().to_representation(mapping)
        data["items"] = [{"sku": item.sku.code, "quantity": item.quantity} for item in mapping.items.all()]
        return data

    def validate(self, attrs):
        if not attrs.get("platform_sku_id") and not attrs.get("outer_sku_code"):
            raise serializers.ValidationError("platform_sku_id or outer_sku_code is required")
        return attrs


class OrderLineSerializer(serializers.ModelSerializer):
    skus = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = (
            "id",
            "platform_line_id",
            "platform_sku_id",
            "outer_sku_code",
            "title",
            "quantity",
            "unit_price",
            "paid_amount",
            "is_gift",
            "skus",
        )

    def get_skus(self, line) -> list[dict]:
        return [{"sku": m.sku.code, "quantity": m.quantity} for m in line.mapped_skus.all()]


class HoldSerializer(serializers.ModelSerializer):
    resolved_by = serializers.StringRelatedField()

    class Meta:
        model = Hold
        fields = (
            "id",
            "kind",
            "level",
            "reason",
            "details",
            "status",
            "created_at",
            "resolved_at",
            "resolved_by",
            "resolution",
            "resolution_note",
        )


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ("id", "type", "parameters", "actor_type", "actor", "created_at")

    def get_actor(self, event) -> str:
        return event.actor_user.get_username() if event.actor_user else event.actor_label


class ReceiverSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    detail = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    shop = serializers.SlugRelatedField(slug_field="code", read_only=True)
    platform = serializers.CharField(source="shop.platform", read_only=True)
    receiver = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = (
            "id",
            "shop",
            "platform",
            "platform_order_id",
            "status",
            "raw_status",
            "buyer_id",
            "receiver",
            "currency",
            "goods_amount",
            "shipping_fee",
            "discount",
            "paid_amount",
            "platform_created_at",
            "platform_paid_at",
            "platform_updated_at",
            "is_priority",
            "buyer_remark",
            "seller_remark",
            "tracking_number",
            "created_at",
        )

    def get_receiver(self, order) -> ReceiverSerializer:
        clear = personal_data.can_view(self.context["request"].user)
        return {
            "name": order.receiver_name if clear else personal_data.mask_name(order.receiver_name),
            "phone": order.receiver_phone if clear else personal_data.mask_phone(order.receiver_phone),
            "province": order.receiver_province,
            "city": order.receiver_city,
            "district": order.receiver_district,
            "detail": order.receiver_detail if clear else personal_data.mask_address(order.receiver_detail),
        }


class OrderDetailSerializer(OrderSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    holds = HoldSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = (*OrderSerializer.Meta.fields, "lines", "holds", "events")
