from __future__ import annotations

import pytest

from audit_tool.audit_trail import (
    REQUIRED_KEYS,
    AuditEventType,
    IncompleteAuditEvent,
    record_event,
)
from audit_tool.models import AuditEvent, AuditTrailIsAppendOnly


def test_every_event_type_declares_its_keys():
    assert set(REQUIRED_KEYS) == set(AuditEventType)


def test_an_event_missing_required_keys_is_refused(session):
    with pytest.raises(IncompleteAuditEvent, match="before"):
        record_event(session, AuditEventType.AGENCY_UPDATED, by=None, after={})


def test_events_cannot_be_changed_or_deleted(session):
    event = record_event(session, AuditEventType.LOGIN_FAILED, by=None, email="x@example.org")
    session.flush()
    event.data = {"email": "changed@example.org"}
    with pytest.raises(AuditTrailIsAppendOnly):
        session.flush()
    session.rollback()
    event = record_event(session, AuditEventType.LOGIN_FAILED, by=None, email="x@example.org")
    session.flush()
    session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        session.flush()


def test_a_change_and_its_event_are_saved_together_or_not_at_all(session, make):
    from audit_tool.models import Sector
    from audit_tool.services.agencies import create_agency

    partnership = make.partnership()
    session.commit()  # into the test's savepoint-backed transaction
    create_agency(
        session, partnership=partnership, name="Rolled back", sector=Sector.OTHER, by=None
    )
    session.rollback()
    named = AuditEvent.data["name"].as_string() == "Rolled back"
    assert session.query(AuditEvent).filter(named).count() == 0
