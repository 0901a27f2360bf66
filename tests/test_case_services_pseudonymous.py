"""Every case-audit service that keeps typed text refuses text that looks like it
identifies a child, whoever calls it: the forms refuse it first with the field's own
message, and this is the backstop for any other caller (the command line, a script, a
future API). Nothing is written when it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit_tool import clock
from audit_tool.case_grading import Grade
from audit_tool.models import (
    AgeBand,
    CaseReturnStatus,
    LearningTheme,
    PlanType,
    RoundStatus,
    utcnow,
)
from audit_tool.services import DomainError
from audit_tool.services import case_moderation as moderation
from audit_tool.services import case_rounds as rounds

from .fingerprint import Fingerprinter

NHS = "943 476 5919"  # a valid NHS number (its check digit holds)
TODAY = clock.today()


def _calls(world, audit_round, closed_round, case, concern):
    """(service call taking the identifying text, the field it must be refused on)."""
    lead, pqa = world.police_lead, world.pqa
    section = audit_round.template_version.sections[0]
    dates = {
        "lookback_from": TODAY - timedelta(days=365),
        "lookback_to": TODAY,
        "due_on": TODAY + timedelta(days=30),
        "moderation_on": None,
    }
    case_details = {"age_band": AgeBand.AGE_5_9, "plan_type": PlanType.CHILD_PROTECTION}
    return {
        "round name": (
            lambda s, text: rounds.create_round(
                s,
                partnership=world.partnership,
                name=text,
                template_version=audit_round.template_version,
                by=pqa,
                **dates,
            ),
            "name",
        ),
        "round name, changed": (
            lambda s, text: rounds.update_round(
                s,
                audit_round=audit_round,
                name=text,
                template_version=audit_round.template_version,
                by=pqa,
                **dates,
            ),
            "name",
        ),
        "why a case was selected": (
            lambda s, text: rounds.add_case(
                s,
                audit_round=audit_round,
                selection_reason=text,
                agencies=[world.police],
                by=pqa,
                **case_details,
            ),
            "selection_reason",
        ),
        "why a case was selected, changed": (
            lambda s, text: rounds.update_case(
                s,
                case=case,
                selection_reason=text,
                agencies=[world.police],
                by=pqa,
                **case_details,
            ),
            "selection_reason",
        ),
        "why a round is reopened": (
            lambda s, text: rounds.reopen_round(s, audit_round=closed_round, reason=text, by=pqa),
            "reason",
        ),
        "why a return is reopened": (
            lambda s, text: rounds.reopen_case_return(
                s,
                case_return=next(r for r in case.returns if r.agency_id == world.police.id),
                reason=text,
                by=pqa,
            ),
            "reason",
        ),
        "a section's judgement": (
            lambda s, text: moderation.record_judgement(
                s, case=case, section=section, grade=Grade.GOOD, rationale=text, by=pqa
            ),
            "rationale",
        ),
        "the overall judgement": (
            lambda s, text: moderation.record_overall(
                s, case=case, grade=Grade.GOOD, rationale=text, by=pqa
            ),
            "rationale",
        ),
        "learning": (
            lambda s, text: moderation.add_learning(
                s, case=case, theme=LearningTheme.RECORDING, text=text, by=pqa
            ),
            "text",
        ),
        "an action": (
            lambda s, text: moderation.add_case_action(
                s,
                case=case,
                agency=world.police,
                description=text,
                owner="Head of service",
                due_on=TODAY + timedelta(days=30),
                today=TODAY,
                by=pqa,
            ),
            "description",
        ),
        "an action's owner": (
            lambda s, text: moderation.add_case_action(
                s,
                case=case,
                agency=world.police,
                description="Audit the strategy meeting minutes",
                owner=text,
                due_on=TODAY + timedelta(days=30),
                today=TODAY,
                by=pqa,
            ),
            "owner",
        ),
        "a concern": (
            lambda s, text: moderation.raise_concern(
                s,
                case=case,
                description=text,
                follow_up_by="Head of service",
                follow_up_agency=None,
                due_on=TODAY + timedelta(days=2),
                today=TODAY,
                by=lead,
            ),
            "description",
        ),
        "who follows a concern up": (
            lambda s, text: moderation.raise_concern(
                s,
                case=case,
                description="Sibling not seen",
                follow_up_by=text,
                follow_up_agency=None,
                due_on=TODAY + timedelta(days=2),
                today=TODAY,
                by=lead,
            ),
            "follow_up_by",
        ),
        "a concern's closing note": (
            lambda s, text: moderation.close_concern(s, concern=concern, note=text, by=pqa),
            "note",
        ),
    }


CALLS = [
    "round name",
    "round name, changed",
    "why a case was selected",
    "why a case was selected, changed",
    "why a round is reopened",
    "why a return is reopened",
    "a section's judgement",
    "the overall judgement",
    "learning",
    "an action",
    "an action's owner",
    "a concern",
    "who follows a concern up",
    "a concern's closing note",
]


@pytest.mark.parametrize("name", CALLS)
def test_each_service_refuses_identifying_text_and_writes_nothing(name, make, world, session):
    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    closed_round = make.case_round(world.partnership, [[world.police]], status=RoundStatus.CLOSED)
    case = audit_round.cases[0]
    concern = make.concern(case, by=world.pqa)
    submitted = next(r for r in case.returns if r.agency_id == world.police.id)
    submitted.status, submitted.submitted_at = CaseReturnStatus.SUBMITTED, utcnow()
    session.flush()
    calls = _calls(world, audit_round, closed_round, case, concern)
    assert sorted(calls) == sorted(CALLS)
    call, field = calls[name]
    fingerprint = Fingerprinter(session.connection())
    before = fingerprint()

    with pytest.raises(DomainError) as refused:
        call(session, f"Seen at clinic, {NHS} on the letter, with mother")
    assert refused.value.field == field
    assert "NHS number" in refused.value.message and NHS in refused.value.message
    session.flush()
    assert fingerprint() == before

    # The same call with the text made pseudonymous goes through.
    call(session, "Seen at clinic with mother")
