"""Personal data: encryption at rest, a keyed hash for lookups, and masking for display.

Receiver names, phones and street addresses never leave this module in clear except to code that asks
for them on behalf of a user allowed to see them.
"""

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PERMISSION = "orderhub.view_personal_data"
_DIGITS = re.compile(r"\D+")


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def _cipher() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY)


def encrypt(value: str) -> str:
    return _cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "personal data cannot be decrypted with the configured FIELD_ENCRYPTION_KEY"
        ) from exc


def normalize_phone(phone: str) -> str:
    """Digits only, without a +86 / 0086 country prefix, so every spelling hashes alike."""
    digits = _DIGITS.sub("", phone or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


@lru_cache(maxsize=4)
def _hash_key(keys: str) -> bytes:
    # Derived from the newest encryption key, so one secret configures both; a separate label keeps
    # the hash key from ever equalling the encryption key.
    newest = base64.urlsafe_b64decode(keys.split(",")[0].strip())
    return hmac.new(newest, b"orderhub-phone-lookup", hashlib.sha256).digest()


def keyed_digest(data: bytes) -> str:
    """A keyed hash: equal inputs match, but nobody without the key can test a guess against it."""
    return hmac.new(_hash_key(settings.FIELD_ENCRYPTION_KEY), data, hashlib.sha256).hexdigest()


def phone_lookup_hash(phone: str) -> str:
    normalized = normalize_phone(phone)
    return keyed_digest(normalized.encode()) if normalized else ""


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * len(phone)


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_address(detail: str) -> str:
    """Street and door are hidden whole: province, city and district stay visible beside them."""
    return "****" if detail else ""


def can_view(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PERMISSION))


MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact_text(text: str) -> str:
    """Masks mainland mobile numbers wherever they appear in free text (log lines, error messages)."""
    return MOBILE_IN_TEXT.sub(r"\1****\2", text)


# Platform payload keys that carry a receiver's or buyer's personal data, across the eight platforms.
PAYLOAD_PERSONAL_KEYS = frozenset(
    {
        "receiver_name",
        "receiver_mobile",
        "receiver_phone",
        "receiver_address",
        "receiver_tel",
        "receiver_name_mask",
        "receiver_phone_mask",
        "receiver_address_mask",
        "buyer_phone",
        "fullname",
        "fullAddress",
        "mobile",
        "telephone",
        "phone",
        "name",
        "address",
        "full_address",
        "first_name",
        "last_name",
        "address1",
        "address2",
        "address3",
        "address4",
        "address5",
        "encrypt_post_receiver",
        "encrypt_post_tel",
        "encrypt_detail",
        "post_receiver",
        "post_tel",
        "delivery_address",
        "detail",
        "email",
        "contact_email",
    }
)


def redact_payload(value):
    """A copy of a platform payload with every personal value masked, for users without permission."""
    if isinstance(value, dict):
        return {
            key: (
                "****"
                if key in PAYLOAD_PERSONAL_KEYS and isinstance(item, str | int) and item != ""
                else redact_payload(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_payload(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
