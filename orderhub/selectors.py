"""Read queries for the console, the API and the services. No writes here."""

from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from orderhub import personal_data
from orderhub.models import (
    Hold,
    HoldStatus,
    Order,
    OrderEvent,
    OrderLine,
    Platform,
    Shop,
    Sku,
    SkuMapping,
)
from orderhub.status import OrderStatus


def shops_for_user(user) -> QuerySet[Shop]:
    """Shops a user may see: all of them, unless the user is scoped to some."""
    shops = Shop.objects.all()
    if user.is_superuser:
        return shops
    scoped = Shop.objects.filter(staff=user).values_list("pk", flat=True)
    return shops.filter(pk__in=scoped) if scoped.exists() else shops


def orders_for_user(user) -> QuerySet[Order]:
    return Order.objects.filter(shop__in=shops_for_user(user)).select_related("shop")


def order_detail_queryset(user) -> QuerySet[Order]:
    return orders_for_user(user).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.prefetch_related("mapped_skus__sku")),
        Prefetch("holds", queryset=Hold.objects.select_related("resolved_by")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("actor_user")),
    )


def with_open_hold_flag(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.annotate(
        has_open_hold=Exists(Hold.objects.filter(order=OuterRef("pk"), status=HoldStatus.OPEN))
    )


def open_holds(user) -> QuerySet[Hold]:
    return Hold.objects.filter(status=HoldStatus.OPEN, order__in=orders_for_user(user)).select_related(
        "order", "order__shop"
    )


@dataclass(frozen=True)
class MappedSku:
    sku_id: int
    quantity: int  # per one unit of the platform SKU


def sku_resolution_for_shop(
    *, shop_id: int, platform_sku_ids: set[str], outer_codes: set[str]
) -> tuple[dict[str, list[MappedSku]], dict[str, list[MappedSku]]]:
    """Mappings for a batch of lines in two queries: by platform SKU id, and by outer code.

    An outer code without a mapping row still resolves when it is one of our SKU codes, which is how
    most sellers fill the platform's 商家编码 field.
    """
    by_platform_id: dict[str, list[MappedSku]] = {}
    by_outer_code: dict[str, list[MappedSku]] = {}
    mappings = (
        SkuMapping.objects.filter(shop_id=shop_id)
        .filter(_mapping_keys(platform_sku_ids, outer_codes))
        .prefetch_related("items")
    )
    for mapping in mappings:
        items = [MappedSku(item.sku_id, item.quantity) for item in mapping.items.all()]
        if not items:
            continue
        if mapping.platform_sku_id:
            by_platform_id[mapping.platform_sku_id] = items
        else:
            by_outer_code[mapping.outer_sku_code] = items
    missing_codes = outer_codes - by_outer_code.keys()
    if missing_codes:
        for sku_id, code in Sku.objects.filter(code__in=missing_codes, active=True).values_list("pk", "code"):
            by_outer_code[code] = [MappedSku(sku_id, 1)]
    return by_platform_id, by_outer_code


def _mapping_keys(platform_sku_ids: set[str], outer_codes: set[str]):
    return Q(platform_sku_id__in=platform_sku_ids - {""}) | Q(
        platform_sku_id="", outer_sku_code__in=outer_codes
    )


def order_by_phone(phone: str) -> QuerySet[Order]:
    return Order.objects.filter(receiver_phone_hash=personal_data.phone_lookup_hash(phone))


class StrictBooleanField(forms.NullBooleanField):
    """true/false/1/0/yes/no; anything else is an error rather than "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in {"true", "1", "yes"}:
            return True
        if text in {"false", "0", "no"}:
            return False
        raise forms.ValidationError(_("expected true or false"), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class OrderFilter(django_filters.FilterSet):
    shop = django_filters.CharFilter(field_name="shop__code", label=_("shop code"))
    platform = django_filters.ChoiceFilter(field_name="shop__platform", choices=Platform.choices)
    platform_order_id = django_filters.CharFilter()
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="platform_created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="platform_created_at", lookup_expr="lt")
    paid_after = django_filters.IsoDateTimeFilter(field_name="platform_paid_at", lookup_expr="gte")
    paid_before = django_filters.IsoDateTimeFilter(field_name="platform_paid_at", lookup_expr="lt")
    is_priority = StrictBooleanFilter()
    has_open_hold = StrictBooleanFilter(method="filter_open_hold")
    receiver_phone = django_filters.CharFilter(method="filter_phone", label=_("receiver phone"))
    tracking_number = django_filters.CharFilter()

    class Meta:
        model = Order
        fields = []

    def filter_open_hold(self, queryset, name, value):
        return with_open_hold_flag(queryset).filter(has_open_hold=value)

    def filter_phone(self, queryset, name, value):
        return queryset.filter(receiver_phone_hash=personal_data.phone_lookup_hash(value))


class SkuFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    barcode = django_filters.CharFilter()
    active = StrictBooleanFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Sku
        fields = []


class SkuMappingFilter(django_filters.FilterSet):
    shop = django_filters.CharFilter(field_name="shop__code")
    platform_sku_id = django_filters.CharFilter()
    outer_sku_code = django_filters.CharFilter()
    sku = django_filters.CharFilter(field_name="items__sku__code", distinct=True)

    class Meta:
        model = SkuMapping
        fields = []


class ShopFilter(django_filters.FilterSet):
    platform = django_filters.ChoiceFilter(choices=Platform.choices)
    active = StrictBooleanFilter()

    class Meta:
        model = Shop
        fields = []
