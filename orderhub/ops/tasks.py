"""Thin django-q2 entry points of the ops app."""

from orderhub.ops.services.channels import channels_flush as _channels_flush


def channels_flush() -> int:
    return _channels_flush()
