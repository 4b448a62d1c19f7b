"""Errors a service raises on purpose; the API turns them into one JSON shape, the console into a message."""


class ApplicationError(Exception):
    code = "application_error"
    http_status = 400

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    http_status = 409


class HoldAlreadyResolved(ApplicationError):
    code = "hold_already_resolved"
    http_status = 409


class InvalidInput(ApplicationError):
    code = "invalid_input"
