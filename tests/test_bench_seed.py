"""`bench-seed` at a small scale: it refuses a database that holds partnerships, and
what it adds is valid for the app: every page a benchmark visits renders it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audit_tool.models import (
    Agency,
    Assessment,
    AssessmentStatus,
    AuditCase,
    AuditCycle,
    CaseAuditRound,
    CriterionResponse,
    CycleStatus,
    ModeratedRating,
    Panel,
    PanelAgency,
    PanelStatus,
    Partnership,
    RoundStatus,
    User,
)
from audit_tool.return_rules import submission_problems
from audit_tool.services.assessments import load_return

from .conftest import make_app
from .databases import fresh_database_url
from .html_client import HTMLCheckingClient

PASSWORD = "bench-seed-password"


@pytest.fixture(scope="module")
def seeded():
    """A fresh database migrated and seeded from the command line: two partnerships of
    five agencies, no large one."""
    with fresh_database_url() as url:
        app = make_app(url)
        app.test_client_class = HTMLCheckingClient
        runner = app.test_cli_runner()
        assert runner.invoke(args=["init-db"]).exit_code == 0
        result = runner.invoke(
            args=[
                "bench-seed",
                "--partnerships",
                "2",
                "--agencies",
                "5",
                "--large-agencies",
                "0",
                "--password",
                PASSWORD,
            ]
        )
        assert result.exit_code == 0, result.output
        yield app, result.output
        app.extensions["database"].engine.dispose()


@pytest.fixture
def session(seeded):
    app, _ = seeded
    with app.extensions["database"].write() as session:
        yield session


def _pqa(app, slug: str) -> HTMLCheckingClient:
    client = app.test_client()
    client.sign_in(f"pqa@{slug}.example.org", PASSWORD)
    return client


def test_it_reports_what_it_added(seeded, session):
    _, output = seeded
    assert "Added 2 partnerships, 10 agencies" in output
    assert PASSWORD in output
    slugs = session.scalars(select(Partnership.slug).order_by(Partnership.slug)).all()
    assert slugs == ["bench-01", "bench-02"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 10
    # A PQA administrator, three panel members and a lead for each agency, per partnership.
    assert session.scalar(select(func.count()).select_from(User)) == 2 * (1 + 3 + 5)


def test_it_refuses_a_database_that_holds_partnerships(seeded, session):
    app, _ = seeded
    result = app.test_cli_runner().invoke(args=["bench-seed", "--partnerships", "1"])
    assert result.exit_code != 0
    assert "already holds partnerships" in result.output
    assert session.scalar(select(func.count()).select_from(Partnership)) == 2


def test_each_partnership_has_a_closed_and_an_open_cycle_on_60_criteria(seeded, session):
    for partnership in session.scalars(select(Partnership)):
        cycles = session.scalars(
            select(AuditCycle)
            .where(AuditCycle.partnership_id == partnership.id)
            .order_by(AuditCycle.opens_on)
        ).all()
        assert [c.status for c in cycles] == [CycleStatus.CLOSED, CycleStatus.OPEN]
        version = cycles[0].framework_version
        assert sum(len(s.criteria) for s in version.standards) == 60
        statuses = {a.status for a in cycles[1].assessments}
        # Five agencies: every state once (a carried return is in progress).
        assert statuses == {
            AssessmentStatus.SUBMITTED,
            AssessmentStatus.IN_PROGRESS,
            AssessmentStatus.REOPENED,
            AssessmentStatus.NOT_STARTED,
        }


def test_submitted_returns_pass_the_checks_at_submission(seeded, session):
    submitted = session.scalars(
        select(Assessment).where(Assessment.status == AssessmentStatus.SUBMITTED)
    ).all()
    assert submitted
    for assessment in submitted:
        answers = load_return(session, assessment).answers
        assert submission_problems(answers, today=assessment.submitted_at.date()) == []


def test_panels_moderate_and_case_audits_have_returns(seeded, session):
    assert session.scalar(select(func.count()).select_from(ModeratedRating)) > 0
    statuses = set(session.scalars(select(Panel.status)))
    assert PanelStatus.SIGNED_OFF in statuses
    rounds = session.scalars(select(CaseAuditRound.status)).all()
    assert sorted(rounds) == sorted([RoundStatus.CLOSED, RoundStatus.OPEN] * 2)
    assert session.scalar(select(func.count()).select_from(AuditCase)) == 16


@pytest.mark.parametrize("slug", ["bench-01", "bench-02"])
def test_the_pages_render_the_seeded_data(seeded, session, slug):
    app, _ = seeded
    client = _pqa(app, slug)
    partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
    base = f"/p/{slug}/pqa"
    cycles = session.scalars(
        select(AuditCycle).where(AuditCycle.partnership_id == partnership.id)
    ).all()
    pages = [f"{base}/actions", f"{base}/panels", f"{base}/case-rounds"]
    for cycle in cycles:
        pages += [
            f"{base}/cycles/{cycle.id}",
            f"{base}/cycles/{cycle.id}/dashboard",
            f"{base}/cycles/{cycle.id}/dashboard?sort=score",
            f"{base}/cycles/{cycle.id}/flags",
            f"{base}/cycles/{cycle.id}/criteria",
            f"{base}/cycles/{cycle.id}/moderation",
        ]
        answered = session.scalar(
            select(Assessment.id)
            .join(CriterionResponse)
            .where(Assessment.cycle_id == cycle.id)
            .limit(1)
        )
        pages.append(f"{base}/cycles/{cycle.id}/returns/{answered}")
    for panel_id, attendance_id in session.execute(
        select(Panel.id, PanelAgency.id)
        .join(PanelAgency, PanelAgency.panel_id == Panel.id)
        .join(AuditCycle, AuditCycle.id == Panel.cycle_id)
        .where(AuditCycle.partnership_id == partnership.id)
    ):
        pages += [
            f"{base}/panels/{panel_id}",
            f"{base}/panels/{panel_id}/agencies/{attendance_id}/pack",
        ]
    for round_id, case_id in session.execute(
        select(CaseAuditRound.id, AuditCase.id)
        .join(AuditCase, AuditCase.round_id == CaseAuditRound.id)
        .where(CaseAuditRound.partnership_id == partnership.id)
    ):
        pages += [
            f"{base}/case-rounds/{round_id}",
            f"{base}/case-rounds/{round_id}/analysis",
            f"{base}/case-rounds/{round_id}/report",
            f"{base}/cases/{case_id}",
        ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page


def test_leads_and_panel_members_can_work_on_it(seeded, session):
    app, _ = seeded
    lead = app.test_client()
    lead.sign_in("lead001@bench-01.example.org", PASSWORD)
    for page in ("/p/bench-01/agency/", "/p/bench-01/agency/actions"):
        assert lead.get(page).status_code == 200
    panel = app.test_client()
    panel.sign_in("panel1@bench-01.example.org", PASSWORD)
    assert panel.get("/p/bench-01/panel/").status_code == 200
    assert panel.get("/p/bench-01/panel/case-rounds").status_code == 200
