"""POST /api/v1/orders/ingest/: orders from an independent site or mini-program, in the normalized schema."""

from collections import Counter
from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_sync.models import InboundSource
from channels_sync.serializers import OrdersIngestResponseSerializer, OrdersIngestSerializer
from channels_sync.services.ingest import ingest_shop, orders_ingest

INGEST_PERMISSION = "channels_sync.add_inboundevent"

EXAMPLE_ORDER = {
    "platform_order_id": "WEB-10001",
    "status": "paid",
    "currency": "CNY",
    "goods_amount": "198.00",
    "shipping_fee": "10.00",
    "discount": "20.00",
    "paid_amount": "188.00",
    "created_at": "2026-11-11T10:02:00+08:00",
    "paid_at": "2026-11-11T10:03:10+08:00",
    "updated_at": "2026-11-11T10:03:10+08:00",
    "buyer_id": "member-778",
    "buyer_remark": "请周末送货",
    "receiver": {
        "name": "王小明",
        "phone": "13800138000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 90 号 502 室",
    },
    "lines": [
        {
            "outer_sku_code": "TEA-001",
            "title": "西湖龙井 250g",
            "quantity": 2,
            "unit_price": "99.00",
            "paid_amount": "178.00",
        }
    ],
}


class CanIngestOrders(BasePermission):
    def has_permission(self, request, view):
        return bool(
            request.user and request.user.is_authenticated and request.user.has_perm(INGEST_PERMISSION)
        )


class OrdersIngestApi(APIView):
    permission_classes = [CanIngestOrders]
    parser_classes = [JSONParser]  # a form body would turn every order into a string

    @extend_schema(
        operation_id="orders_ingest",
        tags=["orders"],
        summary="Send orders from an independent site or mini-program",
        description=(
            "Up to 500 orders of one independent-site / offline shop (platform `manual`) in the normalized "
            "schema. Each order is stored raw, then upserted at once by shop + platform_order_id: sending "
            "the same order again reports `unchanged`, an update older than the stored one `stale`. An "
            "invalid order is kept in the dead-letter list and reported `failed` with its error; the "
            "others still go through (HTTP 207). Needs the `channels_sync.add_inboundevent` permission."
        ),
        request=OrdersIngestSerializer,
        responses={
            200: OrdersIngestResponseSerializer,
            207: OpenApiResponse(
                OrdersIngestResponseSerializer, description="Some orders failed; see results."
            ),
            400: OpenApiResponse(
                description="Unusable body: not JSON, unknown or non-manual shop, 0 or >500 orders."
            ),
            401: OpenApiResponse(description="No or bad credentials."),
            415: OpenApiResponse(description="The body is not sent as application/json."),
            403: OpenApiResponse(description="Missing the channels_sync.add_inboundevent permission."),
        },
        examples=[
            OpenApiExample("one order", value={"shop": "web", "orders": [EXAMPLE_ORDER]}, request_only=True),
            OpenApiExample(
                "result",
                value={
                    "shop": "web",
                    "summary": {"created": 1},
                    "results": [
                        {"platform_order_id": "WEB-10001", "result": "created", "order_id": 42, "error": ""}
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        serializer = OrdersIngestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shop = ingest_shop(code=serializer.validated_data["shop"], user=request.user)
        results = orders_ingest(
            shop=shop, orders=serializer.validated_data["orders"], source=InboundSource.INGEST
        )
        body = {
            "shop": shop.code,
            "summary": dict(Counter(result.result for result in results)),
            "results": [asdict(result) for result in results],
        }
        failed = any(result.result == "failed" for result in results)
        return Response(body, status=status.HTTP_207_MULTI_STATUS if failed else status.HTTP_200_OK)
