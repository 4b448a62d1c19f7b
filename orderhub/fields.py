import json

from django.db import models

from orderhub import personal_data


class EncryptedTextField(models.TextField):
    """Text stored as Fernet ciphertext; Python code sees clear text, the database never does."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return personal_data.encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return personal_data.decrypt(value)


class EncryptedJSONField(models.TextField):
    """A JSON object (shop credentials) stored encrypted as one ciphertext."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return personal_data.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(personal_data.decrypt(value))

    def formfield(self, **kwargs):
        from django import forms

        return forms.JSONField(**{"required": not self.blank, "label": self.verbose_name, **kwargs})

    def to_python(self, value):
        if isinstance(value, dict) or value is None:
            return value or {}
        return json.loads(value) if value else {}
