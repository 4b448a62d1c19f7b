import logging

from orderhub.personal_data import redact_text


class PersonalDataFilter(logging.Filter):
    """Last line of defence: a phone number that slips into a log message is masked before output."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
