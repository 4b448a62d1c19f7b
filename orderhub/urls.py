"""Project wiring: every app's pages under one URL space."""

from django.contrib import admin
from django.urls import include, path

from channels_sync.webhooks import platform_hook
from orderhub import views

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("orderhub.apis.urls")),
    path("hooks/<str:platform>/", platform_hook, name="platform-hook"),
]
