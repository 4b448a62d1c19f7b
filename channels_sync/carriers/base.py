"""What an e-waybill or tracking call needs and answers, independent of the provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Address:
    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str
    town: str = ""

    def as_cainiao(self) -> dict:
        """The {name, mobile, phone, address{province, city, district, town, detail}} of both APIs."""
        return {
            "name": self.name,
            "mobile": self.mobile,
            "phone": "",
            "address": {
                "province": self.province,
                "city": self.city,
                "district": self.district,
                "town": self.town,
                "detail": self.detail,
            },
        }


@dataclass(frozen=True)
class WaybillItem:
    name: str
    count: int


@dataclass(frozen=True)
class WaybillRequest:
    object_id: str  # our request id for the parcel, echoed back by the provider
    cp_code: str  # the carrier's code (YTO, ZTO, SF, ...)
    order_channels_type: str  # TB, TM, PDD, JD, OTHERS ...
    trade_order_ids: list[str]
    sender: Address
    recipient: Address
    items: list[WaybillItem]
    weight_g: int = 0
    template_url: str = ""
    user_id: str = ""


@dataclass(frozen=True)
class WaybillIssued:
    object_id: str
    waybill_code: str
    print_data: dict
    parent_waybill_code: str = ""


@dataclass(frozen=True)
class TrackingTrace:
    occurred_at: datetime  # aware
    description: str


@dataclass(frozen=True)
class TrackingResult:
    tracking_number: str
    state: str  # the provider's state code, as sent
    kind: str  # in_transit | collected | delivered | problem | unknown
    traces: list[TrackingTrace] = field(default_factory=list)
    found: bool = True


class CarrierError(Exception):
    """A logistics provider refused the call; `code` is its error code."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable
