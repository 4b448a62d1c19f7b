import logging

import pytest
from django.db import connection

from orderhub import personal_data
from orderhub.logging import PersonalDataFilter
from orderhub.roles import CUSTOMER_SERVICE
from tests.factories import make_order, make_user

PHONE, NAME, DETAIL = "13812341234", "张三", "文三路 90 号 502 室"


@pytest.mark.django_db
def test_receiver_data_is_not_stored_in_clear():
    order = make_order(phone=PHONE, name=NAME)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT receiver_name, receiver_phone, receiver_detail, raw_payload, receiver_phone_hash "
            "FROM orderhub_order WHERE id = %s",
            [order.pk],
        )
        row = cursor.fetchone()

    stored = " ".join(str(column) for column in row)
    for secret in (PHONE, NAME, "文三路", "1234"):
        assert secret not in stored
    assert order.receiver_phone == PHONE  # the model still reads clear text


def test_masks():
    assert personal_data.mask_phone("13812341234") == "138****1234"
    assert personal_data.mask_name("张三") == "张*"
    assert personal_data.mask_name("欧阳娜娜") == "欧***"
    assert personal_data.mask_address(DETAIL).endswith("****")
    assert personal_data.mask_address(DETAIL) == "****"


def test_phone_hash_ignores_formatting_but_not_digits():
    assert personal_data.phone_lookup_hash("+86 138 1234 1234") == personal_data.phone_lookup_hash(PHONE)
    assert personal_data.phone_lookup_hash("13812341235") != personal_data.phone_lookup_hash(PHONE)
    assert PHONE not in personal_data.phone_lookup_hash(PHONE)


def test_payload_redaction_masks_personal_keys_at_any_depth():
    payload = {
        "trade": {
            "receiver_mobile": PHONE,
            "receiver_name": NAME,
            "tid": 42,
            "orders": [{"title": f"call {PHONE}"}],
        }
    }

    redacted = personal_data.redact_payload(payload)

    assert redacted["trade"]["receiver_mobile"] == "****"
    assert redacted["trade"]["receiver_name"] == "****"
    assert redacted["trade"]["tid"] == 42
    assert redacted["trade"]["orders"][0]["title"] == "call 138****1234"


def test_log_filter_masks_phone_numbers_in_messages(caplog):
    logger = logging.getLogger("orderhub.test")
    logger.addFilter(PersonalDataFilter())
    try:
        with caplog.at_level(logging.INFO, logger="orderhub.test"):
            logger.info("could not reach buyer %s", PHONE)
    finally:
        logger.filters.clear()

    assert PHONE not in caplog.text
    assert "138****1234" in caplog.text


@pytest.mark.django_db
def test_order_page_masks_personal_data_for_customer_service_without_permission(client):
    order = make_order(phone=PHONE, name=NAME)
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))

    page = client.get(f"/admin/orderhub/order/{order.pk}/change/").content.decode()
    listing = client.get("/admin/orderhub/order/").content.decode()

    for html in (page, listing):
        assert PHONE not in html and NAME not in html
        assert "138****1234" in html and "张*" in html
    assert "文三路" not in page


@pytest.mark.django_db
def test_order_page_shows_personal_data_with_the_permission(client):
    order = make_order(phone=PHONE, name=NAME)
    client.force_login(
        make_user("lead", groups=[CUSTOMER_SERVICE], permissions=["orderhub.view_personal_data"])
    )

    page = client.get(f"/admin/orderhub/order/{order.pk}/change/").content.decode()

    assert PHONE in page and NAME in page and "文三路" in page


@pytest.mark.django_db
def test_api_masks_receiver_without_permission(client):
    order = make_order(phone=PHONE, name=NAME)
    client.force_login(make_user("kefu", groups=[CUSTOMER_SERVICE]))

    receiver = client.get(f"/api/v1/orders/{order.pk}/").json()["receiver"]

    assert receiver["phone"] == "138****1234"
    assert receiver["name"] == "张*"
