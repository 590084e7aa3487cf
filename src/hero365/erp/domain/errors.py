"""Domain errors: each carries a sentence a person can hear and act on."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. `message` is fit to be spoken or shown as-is."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class Ambiguous(DomainError):
    """More than one record fits; `options` lets the caller ask which."""

    code = "ambiguous"

    def __init__(self, message: str, options: list[str]) -> None:
        super().__init__(message, options=options)
        self.options = options


class InvalidInput(DomainError):
    code = "invalid_input"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class Conflict(DomainError):
    code = "conflict"


class PermissionDenied(DomainError):
    code = "permission_denied"


class NotConfigured(DomainError):
    """An outside provider (maps, weather, SMS) is not set up: say so, invent nothing."""

    code = "not_configured"
