from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from orderhub.apis.views import OrderViewSet, ShopViewSet, SkuMappingViewSet, SkuViewSet

router = DefaultRouter()
router.register("shops", ShopViewSet, basename="shop")
router.register("skus", SkuViewSet, basename="sku")
router.register("sku-mappings", SkuMappingViewSet, basename="sku-mapping")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
