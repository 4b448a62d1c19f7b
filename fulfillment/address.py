"""Resolves an order's address to province / city / district and its 6-digit area code with `cpca`.

The one rules-side helper that calls a library: cpca loads its area-code table when imported (about
0.15 s), so it is imported on first use and kept.
"""

from dataclasses import replace
from functools import cache

from fulfillment.rules.facts import AddressCheck
from fulfillment.rules.regions import province_key

# cpca's city for the districts of a municipality or a county under a province directly.
_NO_CITY = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@cache
def _transform():
    import cpca

    return cpca.transform


def address_library_load() -> None:
    """Loads cpca's area table now rather than inside the first decision (workers and benches)."""
    _transform()


def _resolve_many(texts: set[str]) -> dict[str, dict[str, str]]:
    """One cpca call for many texts: its per-call cost (a pandas frame) dwarfs the per-text cost."""
    ordered = sorted(texts)
    if not ordered:
        return {}
    frame = _transform()(ordered)
    # pandas gives NaN/None for what it could not find.
    return {
        text: {key: value if isinstance(value, str) else "" for key, value in row.items()}
        for text, (_, row) in zip(ordered, frame.iterrows(), strict=True)
    }


Address = tuple[str, str, str, str]  # province, city, district, detail


def _same_city(given: str, found: dict[str, str]) -> bool:
    if found["市"] in _NO_CITY:
        # Platforms repeat a municipality as its city ("北京市 北京市 朝阳区") and give a county-level
        # city under the province as the city ("湖北省 仙桃市"); cpca files both without a city.
        return given in (found["市"], found["区"]) or province_key(given) == province_key(found["省"])
    short = given.removesuffix("市")
    return bool(short) and found["市"].startswith(short)


def check_address(province: str, city: str, district: str, detail: str) -> AddressCheck:
    return check_addresses([(province, city, district, detail)])[0]


def check_addresses(addresses: list[Address]) -> list[AddressCheck]:
    """Each address checked as check_address does, with one cpca call for the whole list."""
    cleaned = [tuple(part.strip() for part in (p, c, d, detail or "")) for p, c, d, detail in addresses]
    texts = {"".join(address) for address in cleaned} | {"".join(a[1:]) for a in cleaned if a[1]}
    found = _resolve_many(texts)
    return [_check(address, found) for address in cleaned]


def _check(address: Address, resolved_texts: dict[str, dict[str, str]]) -> AddressCheck:
    """ok only when the full text resolves to a district and agrees with the given fields.

    ambiguous: the resolved province or city contradicts the given one, or the city and district
    without the given province resolve somewhere else (a district of 杭州市 under 江苏省).
    """
    province, city, district, detail = address
    found = resolved_texts["".join(address)]
    resolved = AddressCheck(
        ok=False,
        ambiguous=False,
        province=found["省"],
        city=found["市"],
        district=found["区"],
        adcode=found["adcode"],
        reason="",
    )
    if province and found["省"] and province_key(province) != province_key(found["省"]):
        return _ambiguous(resolved, f"given province {province}, the address says {found['省']}")
    if city and found["市"] and not _same_city(city, found):
        return _ambiguous(resolved, f"given city {city}, the address says {found['市']}")
    if city:
        loose = resolved_texts[f"{city}{district}{detail}"]
        if loose["区"] and loose["adcode"] != found["adcode"]:
            return _ambiguous(
                resolved,
                f"{city}{loose['区']} is in {loose['省']}, not in {found['省'] or province}",
            )
    missing = [
        name for name, key in (("province", "省"), ("city", "市"), ("district", "区")) if not found[key]
    ]
    if missing:
        return replace(resolved, reason=f"cannot resolve the {', '.join(missing)}")
    return replace(resolved, ok=True, reason=f"resolved to area {found['adcode']}")


def _ambiguous(check: AddressCheck, reason: str) -> AddressCheck:
    return replace(check, ambiguous=True, reason=reason)
