"""Panel reports: the pack a panel reads before the meeting, the feedback and letter an
agency reads after sign-off (never the private notes), the moderation gaps PQA sees, and
the pack on A4 paper in a real browser's print mode."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import g, url_for
from werkzeug.exceptions import NotFound as PageNotFound

from audit_tool import clock
from audit_tool.areas import panel_reports as pages
from audit_tool.models import ActionSource, Outcome, Role
from audit_tool.services import NotFound, actions, panels
from audit_tool.services import assessments as returns
from audit_tool.services import panel_reports as reports
from audit_tool.services.assessments import AnswerInput
from audit_tool.services.evidence_items import add_evidence_item

from .html_client import check_page

TODAY = clock.today()
PRIVATE = "Private: the chair doubts the lead's account"


def _answer(session, assessment, criterion, by, level, **extra):
    return returns.save_answer(
        session,
        assessment=assessment,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key=level, **extra),
        by=by,
    )


@pytest.fixture
def meeting(make, world, session):
    """The police and health trust at a panel in progress. The police rated criterion 1
    green (80) and the panel moderated it to amber (40); criterion 2 is red, with no
    action, so it is flagged."""
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    police, health = by_agency[world.police.id], by_agency[world.health.id]
    standard = returns.load_return(session, police).standards[0].standard
    c1, c2 = standard.criteria[:2]
    _answer(session, police, c1, world.police_lead, "green", evidence="Annual training")
    _answer(session, police, c2, world.police_lead, "red", evidence="No lead appointed yet")
    add_evidence_item(
        session,
        assessment=police,
        criterion=c2,
        title="Recruitment plan",
        reference="HR/2025/17",
        effective_on=None,
        review_on=TODAY + timedelta(days=200),
        by=world.police_lead,
    )
    chair = make.user(world.partnership, Role.PANEL_MEMBER, name="Chris Chair")
    panel = panels.schedule_panel(
        session,
        cycle=cycle,
        held_on=TODAY,
        starts_at="10:00",
        place="Civic Centre",
        chair=chair,
        members=[world.panel],
        assessments=[police, health],
        by=world.pqa,
        today=TODAY,
    )
    panels.start_panel(session, panel=panel, by=chair)
    attendance = {a.assessment.agency_id: a for a in panel.attendances}
    at_police, at_health = attendance[world.police.id], attendance[world.health.id]
    challenge = panels.raise_challenge(
        session,
        attendance=at_police,
        question="When will a lead be appointed?",
        criterion=c2,
        standard=None,
        by=world.panel,
    )
    panels.answer_challenge(
        session, challenge=challenge, response="By the end of March", by=world.police_lead
    )
    panels.moderate(
        session,
        attendance=at_police,
        criterion=c1,
        level_key="amber",
        rationale="Training is not yet audited",
        by=chair,
    )
    actions.create_action(
        session,
        partnership=world.partnership,
        agency=world.police,
        source=ActionSource.PANEL,
        description="Appoint a named safeguarding lead",
        owner="Chief Superintendent",
        due_on=TODAY + timedelta(days=90),
        today=TODAY,
        by=chair,
        panel_agency=at_police,
        challenge=challenge,
    )
    for at in (at_police, at_health):
        panels.record_outcome(
            session,
            attendance=at,
            outcome=Outcome.PARTIALLY_ASSURED,
            summary="Good awareness; leadership gap to close",
            private_notes=PRIVATE,
            by=chair,
        )
    session.flush()
    return {
        "cycle": cycle,
        "panel": panel,
        "chair": chair,
        "police": at_police,
        "health": at_health,
        "standard": standard,
        "c1": c1,
        "c2": c2,
    }


def _sign_off(session, meeting):
    panels.sign_off(session, panel=meeting["panel"], by=meeting["chair"])
    session.flush()


def test_pack_has_scores_flags_flagged_answers_and_challenges(session, world, meeting):
    context = reports.pack_context(session, attendance=meeting["police"], today=TODAY)

    first = context["standards"][0]
    assert first.standard.key == meeting["standard"].key
    # The panel's amber (40) counts instead of the police's green; red is 0.
    assert first.agency == pytest.approx(20)
    # Health answered nothing, so the partnership average is the police's alone.
    assert first.partnership == pytest.approx(20)
    assert first.change.previous is None  # no earlier cycle

    assert context["flags"], "the red answer is flagged"
    assert all(f.agency_id == world.police.id for f in context["flags"])
    ranks = [f.severity.rank for f in context["flags"]]
    assert ranks == sorted(ranks)

    flagged = {item.entry.criterion.key: item for item in context["flagged_answers"]}
    assert meeting["c2"].key in flagged
    entry = flagged[meeting["c2"].key].entry
    assert entry.answer.evidence == "No lead appointed yet"
    assert [i.title for i in entry.response.evidence_items] == ["Recruitment plan"]

    assert context["moderated"][meeting["c1"].id].level.key == "amber"
    assert [c.question for c in context["challenges"]] == ["When will a lead be appointed?"]


def test_pack_page_renders_for_print(app, world, meeting):
    soup = check_page(_render_pack(app, world, meeting), "pack")
    assert "Panel pack: Test Police" in soup.h1.get_text()
    assert "Print this pack" in soup.get_text()
    answers = soup.get_text(" ", strip=True)
    assert "Recruitment plan (HR/2025/17)" in answers
    assert "By the end of March" in answers
    for table in soup.select("table.govuk-table"):
        assert table.caption is not None


def test_feedback_is_refused_before_sign_off(app, session, meeting):
    with pytest.raises(NotFound):
        reports.feedback_context(session, attendance=meeting["police"])
    with app.test_request_context(), pytest.raises(PageNotFound):
        pages.render_feedback(meeting["cycle"].partnership, meeting["police"])


def test_feedback_shows_ratings_challenges_and_actions(session, meeting):
    _sign_off(session, meeting)
    feedback = reports.feedback_context(session, attendance=meeting["police"])["feedback"]
    assert feedback.outcome is Outcome.PARTIALLY_ASSURED
    [line] = feedback.moderated
    assert (line.own.key, line.panel.key) == ("green", "amber")
    assert line.direction == "Lower than your rating"
    assert line.rationale == "Training is not yet audited"
    assert [c.response for c in feedback.challenges] == ["By the end of March"]
    assert [a.description for a in feedback.actions] == ["Appoint a named safeguarding lead"]
    assert [lead.name for lead in feedback.leads] == ["Lee Police"]


def test_private_notes_never_reach_the_agency(app, session, world, meeting):
    _sign_off(session, meeting)
    with app.test_request_context():
        feedback = pages.render_feedback(world.partnership, meeting["police"])
        letter = pages.render_feedback_letter(world.partnership, meeting["police"])
    for html in (feedback, letter):
        check_page(html, "feedback")
        assert "Good awareness; leadership gap to close" in html
        assert PRIVATE not in html
        assert "doubts" not in html


def test_letter_is_from_the_partnership_and_signed_by_the_chair(app, session, world, meeting):
    _sign_off(session, meeting)
    with app.test_request_context():
        html = pages.render_feedback_letter(world.partnership, meeting["police"])
    text = BeautifulSoup(html, "html.parser").get_text(" ", strip=True)
    assert world.partnership.contact_email in text
    assert "Dear Lee Police," in text
    assert f"Chair, Chris Chair, on behalf of {world.partnership.name}" in text
    assert "Appoint a named safeguarding lead" in text
    signed_off = meeting["panel"].signed_off_at.date()
    assert f"{signed_off:%B %Y}" in text


def test_moderation_gaps_by_hand(app, make, session, world, meeting):
    # The health trust left criterion 1 blank: moderated, but nothing to compare.
    panels.moderate(
        session,
        attendance=meeting["health"],
        criterion=meeting["c1"],
        level_key="red",
        rationale="No evidence offered",
        by=meeting["chair"],
    )
    session.flush()
    rows = reports.moderation_gaps(session, cycle=meeting["cycle"])
    by_agency = {row.agency_name: row for row in rows}
    police = by_agency["Test Police"]
    assert (police.moderated, police.compared) == (1, 1)
    assert police.mean_gap == pytest.approx(40)  # green 80 - amber 40
    health = by_agency["Test Health Trust"]
    assert (health.moderated, health.compared, health.mean_gap) == (1, 0, None)

    agencies = reports.gaps_by_agency(rows)
    assert [a.name for a in agencies] == ["Test Police", "Test Health Trust"]
    assert agencies[0].rated_higher and not agencies[1].rated_higher
    [standard] = reports.gaps_by_standard(rows)
    assert (standard.moderated, standard.compared, standard.mean_gap) == (2, 1, 40)

    with app.test_request_context():
        html = pages.render_moderation(world.partnership, meeting["cycle"])
    soup = check_page(html, "moderation")
    police_row = next(r for r in soup.select("tbody tr") if "Test Police" in r.get_text())
    assert "+40.0" in police_row.get_text()
    assert "Rated itself higher than the panel" in police_row.get_text()


def test_moderation_gaps_take_the_latest_panel(make, session, world, meeting):
    _sign_off(session, meeting)
    later = panels.schedule_panel(
        session,
        cycle=meeting["cycle"],
        held_on=TODAY + timedelta(days=7),
        starts_at="14:00",
        place="Civic Centre",
        chair=meeting["chair"],
        members=[],
        assessments=[meeting["police"].assessment],
        by=world.pqa,
        today=TODAY,
    )
    panels.start_panel(session, panel=later, by=meeting["chair"])
    panels.moderate(
        session,
        attendance=later.attendances[0],
        criterion=meeting["c1"],
        level_key="green",
        rationale="Audit seen",
        by=meeting["chair"],
    )
    session.flush()
    [police] = [
        r
        for r in reports.moderation_gaps(session, cycle=meeting["cycle"])
        if r.agency_id == world.police.id
    ]
    assert (police.moderated, police.mean_gap) == (1, 0)


def _render_pack(app, world, meeting) -> str:
    with app.test_request_context("/p/test/panel/pack"):
        # Signed in as PQA, so the page has its navigation for the print test to hide.
        g.user = world.pqa
        g.partnership = world.partnership
        return pages.render_pack(world.partnership, meeting["police"], area="pqa")


@pytest.mark.browser
def test_pack_prints_on_a4_without_the_navigation(app, world, meeting, page, tmp_path):
    html = _render_pack(app, world, meeting)
    with app.test_request_context():
        css_href = url_for("static", filename="app.css")
    css = Path(app.static_folder, "app.css")
    (tmp_path / "app.css").write_bytes(css.read_bytes())
    (tmp_path / "pack.html").write_text(html.replace(css_href, "app.css"), encoding="utf-8")

    page.goto((tmp_path / "pack.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator(".govuk-service-navigation").count() == 1
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator(".govuk-header").is_visible()
    assert not page.get_by_text("Print this pack").is_visible()
    assert page.get_by_role("heading", name="Panel pack: Test Police").is_visible()
    assert page.get_by_role("cell", name="Lowest rating", exact=True).is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    # Left to itself, the browser takes the size from the stylesheet's @page rule:
    # A4 is 210 by 297 mm, about 595 by 842 points.
    own_size = page.pdf(prefer_css_page_size=True)
    width, height = map(
        float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", own_size).groups()
    )
    assert (width, height) == (pytest.approx(595, abs=1), pytest.approx(842, abs=1))
