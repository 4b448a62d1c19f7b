"""REST API v1: reads through selectors, writes through services."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from orderhub import selectors
from orderhub.apis.serializers import (
    OrderDetailSerializer,
    OrderSerializer,
    ShopSerializer,
    SkuMappingSerializer,
    SkuSerializer,
)
from orderhub.events import Actor
from orderhub.models import Order, Shop, Sku, SkuMapping
from orderhub.services.catalog import MappingItem, sku_mapping_save, sku_save


class ShopViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ShopSerializer
    queryset = Shop.objects.none()  # for the schema; requests use get_queryset
    filterset_class = selectors.ShopFilter
    lookup_field = "code"

    def get_queryset(self):
        return selectors.shops_for_user(self.request.user).order_by("code")


class SkuViewSet(viewsets.ModelViewSet):
    serializer_class = SkuSerializer
    filterset_class = selectors.SkuFilter
    queryset = Sku.objects.order_by("code")
    lookup_field = "code"

    def perform_create(self, serializer):
        serializer.instance = sku_save(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = sku_save(sku=serializer.instance, **serializer.validated_data)


class SkuMappingViewSet(viewsets.ModelViewSet):
    serializer_class = SkuMappingSerializer
    queryset = SkuMapping.objects.none()
    filterset_class = selectors.SkuMappingFilter

    def get_queryset(self):
        return (
            SkuMapping.objects.filter(shop__in=selectors.shops_for_user(self.request.user))
            .select_related("shop")
            .prefetch_related("items__sku")
            .order_by("pk")
        )

    def _save(self, serializer, mapping=None):
        # A partial update keeps what it does not name: start from the mapping as stored.
        current = {}
        if mapping is not None:
            current = {
                "shop": mapping.shop,
                "platform_sku_id": mapping.platform_sku_id,
                "outer_sku_code": mapping.outer_sku_code,
                "title": mapping.title,
                "items": [{"sku": item.sku, "quantity": item.quantity} for item in mapping.items.all()],
            }
        data = current | serializer.validated_data
        serializer.instance = sku_mapping_save(
            shop=data["shop"],
            platform_sku_id=data.get("platform_sku_id", ""),
            outer_sku_code=data.get("outer_sku_code", ""),
            title=data.get("title", ""),
            items=[MappingItem(item["sku"], item["quantity"]) for item in data["items"]],
            actor=Actor.of_user(self.request.user),
            mapping=mapping,
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, mapping=serializer.instance)


@extend_schema_view(retrieve=extend_schema(responses=OrderDetailSerializer))
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = selectors.OrderFilter
    queryset = Order.objects.none()

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.order_detail_queryset(self.request.user)
        return selectors.orders_for_user(self.request.user).order_by("-platform_created_at", "-pk")

    def get_serializer_class(self):
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer
