"""One JSON error shape for every API error: {"error": {"code", "message", "details"}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from orderhub.exceptions import ApplicationError


def _first_message(details) -> str:
    if isinstance(details, dict):
        for field, value in details.items():
            return (
                f"{field}: {_first_message(value)}" if field != "non_field_errors" else _first_message(value)
            )
    if isinstance(details, list) and details:
        return _first_message(details[0])
    return str(details)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, "details": exc.details}
        return Response({"error": body}, status=exc.http_status)
    if isinstance(exc, ProtectedError):
        body = {
            "code": "protected",
            "message": "still referenced by other records; deactivate it instead",
            "details": {},
        }
        return Response({"error": body}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    details = response.data
    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", _first_message(details)
    else:
        code = getattr(exc, "default_code", "error")
        message = str(details.get("detail", details)) if isinstance(details, dict) else str(details)
        details = {}
    response.data = {"error": {"code": code, "message": message, "details": details}}
    if response.status_code == status.HTTP_500_INTERNAL_SERVER_ERROR:
        response.data["error"]["details"] = {}
    return response
