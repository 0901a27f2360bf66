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


def refuse_identifiers(text: str, *, field: str, label: str) -> None:
    """Refuse text about a child's case that looks like it identifies the child.

    The case-audit forms refuse such text with the field's own message first
    (`forms.PseudonymousForm`); this is the backstop for every other caller."""
    # Imported here: `identifiers` is pure and knows nothing of services.
    from ..identifiers import find_identifiers

    findings = find_identifiers(text)
    if findings:
        raise DomainError(findings[0].message(label), field=field)
