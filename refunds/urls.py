from django.urls import path

from refunds import views

urlpatterns = [
    path("returns/scan/", views.returns_scan, name="returns-scan"),
    path("reconciliation/", views.reconciliation_export, name="reconciliation-export"),
]
