"""The demo's case-file audits: a closed domestic abuse round that has been through its
moderation meeting, and an open neglect round with the demo leads' returns in every
state. Loaded once, into a database of its own, as `seed-demo` loads it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from audit_tool import clock, migrate
from audit_tool import demo_case_audit_texts as texts
from audit_tool.case_analysis import analyse
from audit_tool.db import db
from audit_tool.demo import load_demo
from audit_tool.identifiers import find_identifiers
from audit_tool.models import (
    Action,
    ActionSource,
    ActionUpdate,
    AuditCase,
    AuditEvent,
    CaseAnswer,
    CaseAuditRound,
    CaseJudgement,
    CaseReturnStatus,
    LearningPoint,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
    User,
)
from audit_tool.services import case_analysis, case_returns
from audit_tool.services.users import led_agency_ids

from .conftest import make_app
from .databases import fresh_database_url
from .factories import PASSWORD
from .html_client import HTMLCheckingClient

DOMESTIC_ABUSE = "domestic-abuse"
NEGLECT = "neglect"


@pytest.fixture(scope="module")
def demo_app():
    with fresh_database_url() as url:
        app = make_app(url)
        app.test_client_class = HTMLCheckingClient
        migrate.upgrade(app.extensions["database"].engine)
        with app.app_context(), db.transaction() as session:
            load_demo(session, password=PASSWORD)
        yield app
        app.extensions["database"].engine.dispose()


@pytest.fixture
def session(demo_app):
    session = demo_app.extensions["database"].read()
    yield session
    session.close()


def _rounds(session) -> dict[str, CaseAuditRound]:
    found = session.scalars(select(CaseAuditRound)).all()
    return {r.template_version.template.key: r for r in found}


def _client(demo_app, email):
    client = demo_app.test_client()
    client.sign_in(email, PASSWORD)
    return client


def _day(moment: datetime) -> date:
    return moment.date()


def test_the_domestic_abuse_round_was_audited_moderated_and_closed(session):
    audit_round = _rounds(session)[DOMESTIC_ABUSE]
    today = clock.today()
    assert audit_round.status is RoundStatus.CLOSED
    assert audit_round.lookback_to < audit_round.due_on < audit_round.moderation_on < today
    assert len(audit_round.cases) == 4
    sections = audit_round.template_version.sections
    for case in audit_round.cases:
        assert case.reference.startswith(f"DA-{audit_round.lookback_to.year}-")
        assert 3 <= len(case.returns) <= 5
        assert {r.status for r in case.returns} == {CaseReturnStatus.SUBMITTED}
        # Every agency answered every section before the meeting, with something to say.
        for case_return in case.returns:
            assert len(case_return.sections) == len(sections)
            assert _day(case_return.submitted_at) < audit_round.moderation_on
            assert any(page.good_practice or page.development for page in case_return.sections)
        # The meeting judged every section and the case, with its reasons.
        assert case.overall_grade and case.overall_rationale
        assert _day(case.moderated_at) == audit_round.moderation_on
        judgements = {j.section_id: j for j in case.judgements}
        assert set(judgements) == {s.id for s in sections}
        assert all(j.rationale for j in judgements.values())
        assert case.learning
    # All submitted on time but one, a few days late.
    late = [
        r
        for case in audit_round.cases
        for r in case.returns
        if _day(r.submitted_at) > audit_round.due_on
    ]
    assert len(late) == 1
    # Overall judgements across the scale, and learning under several themes.
    grades = {case.overall_grade for case in audit_round.cases}
    assert {"inadequate", "good"} <= grades and len(grades) >= 3
    themes = {point.theme for case in audit_round.cases for point in case.learning}
    assert len(themes) >= 5
    # Actions went into the partnership's tracker; one has progress recorded.
    case_ids = [case.id for case in audit_round.cases]
    actions = session.scalars(select(Action).where(Action.case_id.in_(case_ids))).all()
    assert actions and {a.source for a in actions} == {ActionSource.CASE_AUDIT}
    assert all(a.due_on > audit_round.moderation_on for a in actions)
    assert session.scalars(
        select(ActionUpdate).where(ActionUpdate.action_id.in_([a.id for a in actions]))
    ).all()
    # One concern followed up and closed; one still open.
    concerns = [c for case in audit_round.cases for c in case.concerns]
    assert sorted(c.closed_at is None for c in concerns) == [False, True]
    closed = next(c for c in concerns if c.closed_at)
    assert closed.closing_note and _day(closed.closed_at) <= closed.due_on


def test_the_neglect_round_is_open_with_the_demo_leads_returns_in_every_state(session):
    audit_round = _rounds(session)[NEGLECT]
    assert audit_round.status is RoundStatus.OPEN
    assert audit_round.due_on > clock.today()
    assert all(3 <= len(case.returns) <= 5 for case in audit_round.cases)
    for email in ("lead.police@example.org", "lead.health@example.org"):
        lead = session.scalar(select(User).where(User.email == email))
        partnership = audit_round.partnership
        assigned = case_returns.agency_case_returns(
            session, partnership, led_agency_ids(lead, partnership)
        )
        in_neglect = [row.case_return for row in assigned if row.audit_round == audit_round]
        assert {r.status for r in in_neglect} == {
            CaseReturnStatus.NOT_STARTED,
            CaseReturnStatus.IN_PROGRESS,
            CaseReturnStatus.SUBMITTED,
        }, email
    # A draft stops part-way; a submitted return answers everything.
    for case in audit_round.cases:
        for case_return in case.returns:
            problems = case_returns.submission_problems(
                case_returns.load_contents(session, case_return)
            )
            if case_return.status is CaseReturnStatus.SUBMITTED:
                assert problems == []
            else:
                assert problems


def test_agencies_diverge_on_a_domestic_abuse_case(demo_app, session):
    audit_round = _rounds(session)[DOMESTIC_ABUSE]
    data = case_analysis.load_round(session, audit_round)
    found = analyse(data.facts, today=clock.today(), theme_labels=case_analysis.THEME_LABELS)
    diverging = {data.case_references[spread.case_id] for spread in found.divergences}
    assert diverging == {audit_round.cases[0].reference}

    pqa = _client(demo_app, "pqa@example.org")
    page = pqa.get(f"/p/demo/pqa/case-rounds/{audit_round.id}/analysis").get_data(as_text=True)
    assert "Questions where agencies' grades differ by two levels or more" in page
    # The moderation page marks a divergence only where agencies differ on one question,
    # not where a case's grades merely span two levels across different questions.
    first, *_, last = audit_round.cases
    page = pqa.get(f"/p/demo/pqa/cases/{first.id}").get_data(as_text=True)
    assert "Divergent on 1 question" in page
    page = pqa.get(f"/p/demo/pqa/cases/{last.id}").get_data(as_text=True)
    assert "2 levels (30 grades)" in page and "Divergent" not in page


def test_the_open_concern_is_on_the_pqa_overview(demo_app, session):
    concerns = session.scalars(select(SafeguardingConcern)).all()
    still_open = next(c for c in concerns if c.closed_at is None)
    closed = next(c for c in concerns if c.closed_at is not None)
    page = _client(demo_app, "pqa@example.org").get("/p/demo/pqa/").get_data(as_text=True)
    assert "Immediate safeguarding concerns" in page
    assert still_open.case.reference in page and still_open.follow_up_by in page
    assert closed.case.reference not in page


def test_the_demo_leads_find_their_case_audits(demo_app, session):
    rounds = _rounds(session)
    page = _client(demo_app, "lead.police@example.org").get("/p/demo/agency/case-audits")
    text = page.get_data(as_text=True)
    assert rounds[NEGLECT].name in text and rounds[DOMESTIC_ABUSE].name in text
    assert "Round closed</strong> You can read your answers but not change them." in text


def test_every_demo_text_passes_the_identifier_check(session):
    written = [
        *session.scalars(select(CaseAnswer.comment)),
        *(
            text
            for page in session.scalars(select(SectionReturn))
            for text in (page.good_practice, page.development, page.recommendations)
        ),
        *session.scalars(select(CaseJudgement.rationale)),
        *(
            text
            for case in session.scalars(select(AuditCase))
            for text in (case.selection_reason, case.overall_rationale)
        ),
        *session.scalars(select(LearningPoint.text)),
        *(
            text
            for concern in session.scalars(select(SafeguardingConcern))
            for text in (concern.description, concern.follow_up_by, concern.closing_note or "")
        ),
        *session.scalars(select(Action.description).where(Action.case_id.is_not(None))),
        *session.scalars(select(ActionUpdate.note)),
    ]
    banks = [
        *(t for pair in texts.GRADED_COMMENTS.values() for bank in pair for t in bank),
        *(t for bank in texts.YES_PARTLY_NO_COMMENTS.values() for t in bank),
        *(t for bank in texts.FREE_TEXT.values() for t in bank),
        *(t for banks in texts.REFLECTIONS.values() for bank in banks.values() for t in bank),
        *(t for pair in texts.JUDGEMENT_RATIONALES.values() for t in pair),
    ]
    assert len([t for t in written if t]) > 300
    flagged = {t: find_identifiers(t) for t in [*written, *banks] if find_identifiers(t)}
    assert flagged == {}


def test_the_audit_trail_reads_as_real_use_would_write_it(session):
    def count(event: str) -> int:
        return len(session.scalars(select(AuditEvent).where(AuditEvent.event == event)).all())

    returns = [r for a in _rounds(session).values() for case in a.cases for r in case.returns]
    submitted = [r for r in returns if r.status is CaseReturnStatus.SUBMITTED]
    assert count("case_round_created") == count("case_round_opened") == 2
    assert count("case_added") == 8
    assert count("case_return_submitted") == len(submitted)
    assert count("case_return_saved") >= 6 * len(submitted)
    assert count("case_judgement_recorded") == 4 * 7  # six sections and the overall
    learning = session.scalar(select(func.count()).select_from(LearningPoint))
    assert count("learning_recorded") == learning
    assert (count("concern_raised"), count("concern_closed")) == (2, 1)
    assert count("case_round_closed") == 1
