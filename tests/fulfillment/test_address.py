"""check_address with the real cpca library on real addresses (offline: cpca ships its area codes)."""

import pytest

from fulfillment.address import check_address


def test_a_full_address_resolves_to_its_district_and_area_code():
    check = check_address("浙江省", "杭州市", "西湖区", "文三路90号")

    assert check.ok and not check.ambiguous
    assert (check.province, check.city, check.district, check.adcode) == (
        "浙江省",
        "杭州市",
        "西湖区",
        "330106",
    )


def test_an_address_given_only_as_detail_text_resolves_too():
    check = check_address("", "", "", "浙江省杭州市西湖区文三路90号")

    assert check.ok and check.adcode == "330106"


def test_nonsense_is_not_ok():
    check = check_address("", "", "", "火星基地第三象限某某路")

    assert not check.ok and not check.ambiguous
    assert check.reason == "cannot resolve the province, city, district"


def test_a_missing_district_is_not_ok():
    check = check_address("浙江省", "杭州市", "", "文三路90号")

    assert not check.ok and check.adcode == "330100"
    assert check.reason == "cannot resolve the district"


def test_a_province_that_contradicts_the_city_is_ambiguous():
    check = check_address("江苏省", "杭州市", "西湖区", "文三路90号")

    assert check.ambiguous and not check.ok
    assert "浙江省" in check.reason and "江苏省" in check.reason


def test_a_city_that_contradicts_the_province_is_ambiguous():
    check = check_address("北京市", "上海市", "朝阳区", "建国路1号")

    assert check.ambiguous and not check.ok


@pytest.mark.parametrize(
    ("province", "city", "district", "adcode"),
    [
        ("北京市", "北京市", "朝阳区", "110105"),  # the municipality repeated as its city
        ("北京", "北京", "朝阳区", "110105"),  # short forms
        ("吉林省", "长春市", "朝阳区", "220104"),  # the other 朝阳区
        ("湖北省", "仙桃市", "", "429004"),  # a county-level city under the province
        ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "650102"),
        ("广东省", "深圳", "南山区", "440305"),
    ],
)
def test_how_platforms_spell_real_addresses_is_accepted(province, city, district, adcode):
    check = check_address(province, city, district, "某路1号")

    assert check.ok, check.reason
    assert check.adcode == adcode


def test_empty_input_is_not_ok_and_does_not_fail():
    assert not check_address("", "", "", "").ok
