"""Typed, keyword-only commands and queries between views and models.

Services add and flush; the request commits (see `db.commits`). They raise the domain
errors below instead of leaking database errors to views.
"""


class DomainError(Exception):
    """A request the domain refuses, with a message fit to show the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass
