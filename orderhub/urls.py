"""Project wiring: every app's pages under one URL space."""

from django.contrib import admin
from django.urls import include, path

from channels_sync.apis import OrdersIngestApi
from channels_sync.order_import import order_import_view
from channels_sync.views import sync_health
from channels_sync.webhooks import platform_hook
from fulfillment.views_stock_push import stock_push_page
from orderhub import views
from orderhub.dashboard.views import dashboard

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", dashboard, name="dashboard"),
    path("admin-tools/orders/import/", order_import_view, name="order-import"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the API include, where the orders viewset would read "ingest" as an order id.
    path("api/v1/orders/ingest/", OrdersIngestApi.as_view(), name="orders-ingest"),
    path("api/v1/", include("orderhub.apis.urls")),
    path("hooks/<str:platform>/", platform_hook, name="platform-hook"),
    path("sync/health/", sync_health, name="sync-health"),
    path("stock/push/<str:sku_code>/", stock_push_page, name="stock-push"),
    path("warehouse/", include("fulfillment.urls_warehouse")),
    path("refunds/", include("refunds.urls")),
]
