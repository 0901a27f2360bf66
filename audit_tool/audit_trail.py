"""The audit trail's schema: every event name and the keys its record must carry.

Events are written by services in the same transaction as the change they describe,
so a change and its record are saved together or not at all.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .models import AuditEvent, Partnership, User


class AuditEventType(StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGGED_OUT = "logged_out"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    PARTNERSHIP_CREATED = "partnership_created"
    PARTNERSHIP_UPDATED = "partnership_updated"
    AGENCY_CREATED = "agency_created"
    AGENCY_UPDATED = "agency_updated"
    AGENCY_ARCHIVED = "agency_archived"
    AGENCY_RESTORED = "agency_restored"
    AGENCY_LINKED = "agency_linked"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (an event name)
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    FRAMEWORK_IMPORTED = "framework_imported"
    FRAMEWORK_VERSION_DRAFTED = "framework_version_drafted"
    FRAMEWORK_VERSION_PUBLISHED = "framework_version_published"
    CRITERION_EDITED = "criterion_edited"
    CYCLE_CREATED = "cycle_created"
    CYCLE_UPDATED = "cycle_updated"
    CYCLE_OPENED = "cycle_opened"
    CYCLE_CLOSED = "cycle_closed"
    RETURN_STARTED = "return_started"
    RESPONSE_SAVED = "response_saved"
    EVIDENCE_ADDED = "evidence_added"
    EVIDENCE_REMOVED = "evidence_removed"
    EVIDENCE_DOWNLOADED = "evidence_downloaded"
    RETURN_SUBMITTED = "return_submitted"
    RETURN_REOPENED = "return_reopened"
    PANEL_SCHEDULED = "panel_scheduled"
    PANEL_STARTED = "panel_started"
    PANEL_SIGNED_OFF = "panel_signed_off"
    PANEL_REOPENED = "panel_reopened"
    CHALLENGE_RAISED = "challenge_raised"
    CHALLENGE_ANSWERED = "challenge_answered"
    CHALLENGE_RESOLVED = "challenge_resolved"
    RATING_MODERATED = "rating_moderated"
    OUTCOME_RECORDED = "outcome_recorded"
    ACTION_CREATED = "action_created"
    ACTION_UPDATED = "action_updated"
    ACTION_CLOSED = "action_closed"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105 (an event name)
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105 (an event name)
    CASE_TEMPLATE_IMPORTED = "case_template_imported"
    CASE_TEMPLATE_PUBLISHED = "case_template_published"
    CASE_ROUND_CREATED = "case_round_created"
    CASE_ROUND_UPDATED = "case_round_updated"
    CASE_ROUND_OPENED = "case_round_opened"
    CASE_ROUND_CLOSED = "case_round_closed"
    CASE_ROUND_REOPENED = "case_round_reopened"
    CASE_ADDED = "case_added"
    CASE_UPDATED = "case_updated"
    CASE_REMOVED = "case_removed"
    CASE_RETURN_SAVED = "case_return_saved"
    CASE_RETURN_SUBMITTED = "case_return_submitted"
    CASE_RETURN_REOPENED = "case_return_reopened"
    CASE_JUDGEMENT_RECORDED = "case_judgement_recorded"
    LEARNING_RECORDED = "learning_recorded"
    LEARNING_REMOVED = "learning_removed"
    CONCERN_RAISED = "concern_raised"
    CONCERN_CLOSED = "concern_closed"
    EXPORT_CREATED = "export_created"
    PARTNERSHIP_IMPORTED = "partnership_imported"
    LOGIN_LOCKED = "login_locked"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    TWO_FACTOR_RESET = "two_factor_reset"
    RECORDS_PRUNED = "records_pruned"


REQUIRED_KEYS: dict[AuditEventType, frozenset[str]] = {
    AuditEventType.LOGIN_SUCCEEDED: frozenset(),
    AuditEventType.LOGIN_FAILED: frozenset({"email"}),
    AuditEventType.LOGGED_OUT: frozenset(),
    AuditEventType.PASSWORD_CHANGED: frozenset(),
    AuditEventType.PARTNERSHIP_CREATED: frozenset({"name", "slug"}),
    AuditEventType.PARTNERSHIP_UPDATED: frozenset({"before", "after"}),
    AuditEventType.AGENCY_CREATED: frozenset({"name", "sector"}),
    AuditEventType.AGENCY_UPDATED: frozenset({"before", "after"}),
    AuditEventType.AGENCY_ARCHIVED: frozenset({"name"}),
    AuditEventType.AGENCY_RESTORED: frozenset({"name"}),
    AuditEventType.AGENCY_LINKED: frozenset({"name"}),
    AuditEventType.USER_CREATED: frozenset({"email", "name"}),
    AuditEventType.USER_UPDATED: frozenset({"before", "after"}),
    AuditEventType.USER_DEACTIVATED: frozenset({"email", "sessions_ended"}),
    AuditEventType.USER_REACTIVATED: frozenset({"email"}),
    AuditEventType.PASSWORD_RESET: frozenset({"email"}),
    AuditEventType.ROLE_GRANTED: frozenset({"email", "role", "agency"}),
    AuditEventType.ROLE_REVOKED: frozenset({"email", "role", "agency"}),
    AuditEventType.FRAMEWORK_IMPORTED: frozenset({"key", "version", "source"}),
    AuditEventType.FRAMEWORK_VERSION_DRAFTED: frozenset({"key", "version", "from_version"}),
    AuditEventType.FRAMEWORK_VERSION_PUBLISHED: frozenset({"key", "version"}),
    AuditEventType.CRITERION_EDITED: frozenset({"key", "before", "after"}),
    AuditEventType.CYCLE_CREATED: frozenset({"name", "framework", "agencies"}),
    AuditEventType.CYCLE_UPDATED: frozenset({"before", "after"}),
    AuditEventType.CYCLE_OPENED: frozenset({"name"}),
    AuditEventType.CYCLE_CLOSED: frozenset({"name"}),
    AuditEventType.RETURN_STARTED: frozenset({"agency", "cycle", "carried_from"}),
    AuditEventType.RESPONSE_SAVED: frozenset({"agency", "criterion", "before", "after"}),
    AuditEventType.EVIDENCE_ADDED: frozenset({"agency", "criterion", "title"}),
    AuditEventType.EVIDENCE_REMOVED: frozenset({"agency", "criterion", "title"}),
    AuditEventType.EVIDENCE_DOWNLOADED: frozenset({"agency", "title"}),
    AuditEventType.RETURN_SUBMITTED: frozenset({"agency", "cycle", "declaration"}),
    AuditEventType.RETURN_REOPENED: frozenset({"agency", "cycle", "reason"}),
    AuditEventType.PANEL_SCHEDULED: frozenset({"cycle", "held_on", "agencies"}),
    AuditEventType.PANEL_STARTED: frozenset({"cycle", "held_on"}),
    AuditEventType.PANEL_SIGNED_OFF: frozenset({"cycle", "held_on"}),
    AuditEventType.PANEL_REOPENED: frozenset({"cycle", "held_on", "reason"}),
    AuditEventType.CHALLENGE_RAISED: frozenset({"agency", "question"}),
    AuditEventType.CHALLENGE_ANSWERED: frozenset({"agency", "before", "after"}),
    AuditEventType.CHALLENGE_RESOLVED: frozenset({"agency", "satisfied"}),
    AuditEventType.RATING_MODERATED: frozenset({"agency", "criterion", "before", "after"}),
    AuditEventType.OUTCOME_RECORDED: frozenset({"agency", "before", "after"}),
    AuditEventType.ACTION_CREATED: frozenset({"agency", "source", "description"}),
    AuditEventType.ACTION_UPDATED: frozenset({"agency", "note"}),
    AuditEventType.ACTION_CLOSED: frozenset({"agency", "description"}),
    AuditEventType.API_TOKEN_CREATED: frozenset({"name"}),
    AuditEventType.API_TOKEN_REVOKED: frozenset({"name"}),
    AuditEventType.CASE_TEMPLATE_IMPORTED: frozenset({"key", "version", "source"}),
    AuditEventType.CASE_TEMPLATE_PUBLISHED: frozenset({"key", "version"}),
    AuditEventType.CASE_ROUND_CREATED: frozenset({"name", "template"}),
    AuditEventType.CASE_ROUND_UPDATED: frozenset({"before", "after"}),
    AuditEventType.CASE_ROUND_OPENED: frozenset({"name"}),
    AuditEventType.CASE_ROUND_CLOSED: frozenset({"name"}),
    AuditEventType.CASE_ROUND_REOPENED: frozenset({"name", "reason"}),
    AuditEventType.CASE_ADDED: frozenset({"reference", "agencies"}),
    AuditEventType.CASE_UPDATED: frozenset({"reference", "before", "after"}),
    AuditEventType.CASE_REMOVED: frozenset({"reference"}),
    AuditEventType.CASE_RETURN_SAVED: frozenset(
        {"reference", "agency", "section", "before", "after"}
    ),
    AuditEventType.CASE_RETURN_SUBMITTED: frozenset({"reference", "agency"}),
    AuditEventType.CASE_RETURN_REOPENED: frozenset({"reference", "agency", "reason"}),
    # `section` is None for the overall judgement.
    AuditEventType.CASE_JUDGEMENT_RECORDED: frozenset({"reference", "section", "before", "after"}),
    AuditEventType.LEARNING_RECORDED: frozenset({"reference", "theme", "text"}),
    AuditEventType.LEARNING_REMOVED: frozenset({"reference", "theme", "text"}),
    AuditEventType.CONCERN_RAISED: frozenset({"reference", "follow_up_by", "due_on"}),
    AuditEventType.CONCERN_CLOSED: frozenset({"reference", "note"}),
    # What was exported (`kind`), how many rows of each sheet or table, and any filters.
    AuditEventType.EXPORT_CREATED: frozenset({"kind", "rows", "filters"}),
    AuditEventType.PARTNERSHIP_IMPORTED: frozenset({"slug", "format", "records"}),
    # `scope` is "account" (locked: the email typed) or "address" (the client address).
    AuditEventType.LOGIN_LOCKED: frozenset({"scope", "email", "address", "until"}),
    AuditEventType.TWO_FACTOR_ENABLED: frozenset({"email"}),
    AuditEventType.TWO_FACTOR_DISABLED: frozenset({"email"}),
    # A PQA administrator (or the command line) turned off someone else's two-factor.
    AuditEventType.TWO_FACTOR_RESET: frozenset({"email"}),
    # `flask prune`: how many sign-in sessions, spent sign-in counters and unnamed evidence
    # files it deleted, and the retention settings it applied. It never deletes audit events.
    AuditEventType.RECORDS_PRUNED: frozenset(
        {
            "login_sessions",
            "login_throttles",
            "login_session_retention_days",
            "unused_files",
            "unused_file_retention_days",
        }
    ),
}


class IncompleteAuditEvent(ValueError):
    pass


def record_event(
    session: Session,
    event: AuditEventType,
    *,
    by: User | None,
    partnership: Partnership | None = None,
    subject: Any = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event to the current unit of work; refuse one missing its keys."""
    missing = REQUIRED_KEYS[event] - data.keys()
    if missing:
        raise IncompleteAuditEvent(f"{event} needs {', '.join(sorted(missing))}")
    # Ids, not relationships: an event may be written from a session other than the one
    # that loaded `by` (a download is recorded in its own transaction).
    entry = AuditEvent(
        event=event.value,
        actor_id=by.id if by is not None else None,
        partnership_id=partnership.id if partnership is not None else None,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        data=data,
    )
    session.add(entry)
    return entry


def list_events(
    session: Session, *, partnership: Partnership, page: int, per_page: int = 50
) -> tuple[list[AuditEvent], bool]:
    """One page of a partnership's trail, newest first, and whether there is another."""
    rows = list(
        session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.partnership_id == partnership.id)
            .order_by(AuditEvent.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page
