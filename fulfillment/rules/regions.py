"""Province names as platforms, staff and the address library spell them."""

import re

PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省",
    "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省",
    "青海省", "宁夏回族自治区", "新疆维吾尔自治区", "台湾省", "香港特别行政区", "澳门特别行政区",
)  # fmt: skip
REMOTE_PROVINCES = ("新疆维吾尔自治区", "西藏自治区", "青海省", "内蒙古自治区", "甘肃省", "宁夏回族自治区")

_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市)$")


def province_key(name: str) -> str:
    """'浙江省', '浙江' and ' 浙江 ' compare equal; so do '新疆维吾尔自治区' and '新疆'."""
    return _SUFFIX.sub("", (name or "").strip())


def province_full_name(name: str) -> str | None:
    key = province_key(name)
    return next((full for full in PROVINCES if province_key(full) == key), None) if key else None


def province_in(name: str, provinces) -> bool:
    key = province_key(name)
    return bool(key) and any(province_key(item) == key for item in provinces)
