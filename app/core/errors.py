"""Domain errors raised by services and turned into responses by views and the API."""


class DomainError(Exception):
    """A request that is well-formed but not allowed by the rules (shown to the user)."""

    status = 422
    code = "validation_error"

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the record since it was read."""

    status = 409
    code = "conflict"
