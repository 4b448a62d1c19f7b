"""Warehouse execution pages, included by the project URL map under /warehouse/."""

from django.urls import path

from fulfillment import views_warehouse as views

urlpatterns = [
    path("waves/", views.wave_list, name="warehouse-waves"),
    path("waves/<int:wave_id>/pick-list.pdf", views.wave_pick_list, name="warehouse-pick-list"),
    path("waves/<int:wave_id>/picked/", views.wave_mark_picked, name="warehouse-wave-picked"),
    path("pack/", views.pack_station, name="warehouse-pack"),
    path("pack/<int:order_id>/label.pdf", views.pack_label, name="warehouse-pack-label"),
    path("pack/<int:order_id>/ship/", views.pack_ship, name="warehouse-pack-ship"),
    path("waybills/<int:waybill_id>/label.pdf", views.waybill_label, name="warehouse-waybill-label"),
    path("tracking/kuaidi100/", views.kuaidi100_hook, name="tracking-kuaidi100"),
]
