"""Outbound logistics calls: e-waybills (Cainiao cloud print through TOP, PDD's e-waybill) and tracking
providers (Kuaidi100, KDNiao). Each takes plain dataclasses and answers plain dataclasses."""
