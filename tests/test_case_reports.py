"""A case-file audit round's analysis page and printable report, on the PQA and panel
areas: what they show, what they never show, and a fixed number of SQL statements
whatever the size of the round."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from audit_tool import clock
from audit_tool.models import (
    Action,
    ActionSource,
    ActionStatus,
    CaseAnswer,
    CaseJudgement,
    CaseReturnStatus,
    LearningPoint,
    LearningTheme,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
    utcnow,
)

TODAY = clock.today()


def _days_ago(days: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days), time(12), tzinfo=UTC)


def submit(session, case_return, grades: dict[str, str], *, texts=None, status=None, at=None):
    """An agency's return on a case: a grade per graded question key, and (good practice,
    development, recommendations) per section key."""
    texts = texts or {}
    for section in case_return.case.round.template_version.sections:
        good, development, recommendations = texts.get(section.key, ("", "", ""))
        section_return = SectionReturn(
            case_return=case_return,
            section=section,
            good_practice=good,
            development=development,
            recommendations=recommendations,
        )
        for question in section.questions:
            if question.key in grades:
                section_return.answers.append(
                    CaseAnswer(question=question, answer=grades[question.key])
                )
        session.add(section_return)
    case_return.status = status or CaseReturnStatus.SUBMITTED
    if case_return.status is CaseReturnStatus.SUBMITTED:
        case_return.submitted_at = at or utcnow()
    session.flush()


def judge(session, case, by, sections: dict[str, str], overall: str | None = None):
    for section in case.round.template_version.sections:
        if section.key in sections:
            session.add(
                CaseJudgement(case=case, section=section, grade=sections[section.key], set_by=by)
            )
    case.overall_grade = overall
    session.flush()


def _return(case, agency):
    return next(r for r in case.returns if r.agency_id == agency.id)


@pytest.fixture
def moderated(make, world, session):
    """Two cases, police and health on both, due three days ago. Case 1: both returns in
    on time (police graded recognition Good, health Inadequate: divergent), judged
    Inadequate overall, with learning, an action and a concern. Case 2: police in late,
    health still drafting (so overdue)."""
    audit_round = make.case_round(
        world.partnership,
        [[world.police, world.health], [world.police, world.health]],
        due_on=TODAY - timedelta(days=3),
    )
    first, second = audit_round.cases
    submit(
        session,
        _return(first, world.police),
        {"recognition-1": "good", "recognition-2": "yes", "planning-1": "good"},
        texts={
            "recognition": ("Risk was shared at once", "", "Keep the DA triage"),
            "planning": ("", "Plans lacked timescales", ""),
        },
        at=_days_ago(5),
    )
    submit(
        session,
        _return(first, world.health),
        {"recognition-1": "inadequate", "planning-1": "requires_improvement"},
        texts={"recognition": ("", "Missed the bruising", "Train on body maps")},
        at=_days_ago(4),
    )
    submit(
        session,
        _return(second, world.police),
        {"recognition-1": "requires_improvement", "planning-1": "outstanding"},
        at=_days_ago(1),
    )
    submit(
        session,
        _return(second, world.health),
        {"recognition-1": "outstanding"},
        texts={"recognition": ("Draft text never shown", "", "")},
        status=CaseReturnStatus.IN_PROGRESS,
    )
    judge(
        session, first, world.pqa, {"recognition": "inadequate", "planning": "good"}, "inadequate"
    )
    session.add_all(
        [
            LearningPoint(
                case=first,
                theme=LearningTheme.RECORDING,
                text="Decisions not written down",
                by_id=world.pqa.id,
            ),
            LearningPoint(
                case=second,
                theme=LearningTheme.RECORDING,
                text="Chronology missing",
                by_id=world.pqa.id,
            ),
            Action(
                partnership=world.partnership,
                agency=world.health,
                source=ActionSource.CASE_AUDIT,
                case_id=first.id,
                description="Body-map training for health visitors",
                owner="Named nurse",
                due_on=TODAY + timedelta(days=60),
                status=ActionStatus.OPEN,
            ),
            SafeguardingConcern(
                partnership_id=world.partnership.id,
                case=first,
                description="Secret concern detail: sibling not seen",
                follow_up_by="Head of service",
                due_on=TODAY + timedelta(days=2),
                raised_by_id=world.pqa.id,
            ),
        ]
    )
    session.flush()
    return audit_round


def _url(world, audit_round, page, area="pqa"):
    return f"/p/{world.partnership.slug}/{area}/case-rounds/{audit_round.id}/{page}"


def _text(soup):
    return " ".join(soup.get_text(" ").split())


# -- The analysis page -------------------------------------------------------------------


@pytest.mark.parametrize("area", ["pqa", "panel"])
def test_analysis_shows_distributions_spread_flags_returns_and_learning(
    area, pqa_client, panel_client, world, moderated
):
    client = {"pqa": pqa_client, "panel": panel_client}[area]
    soup = client.soup(_url(world, moderated, "analysis", area))
    by_section = soup.find("caption", string="Agencies' grades by section").find_parent("table")
    rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in by_section.tbody.find_all("tr")
    }
    # Outstanding, Good, Requires improvement, Inadequate, Total: submitted returns only
    # (health's draft Outstanding on case 2 is not counted).
    assert rows == {"Recognition": ["0", "1", "1", "1", "3"], "Planning": ["1", "1", "1", "0", "3"]}
    by_agency = soup.find("caption", string="Agencies' grades by agency").find_parent("table")
    agency_rows = {
        r.th.get_text(strip=True): r.find_all("td")[-1].get_text() for r in by_agency.tbody("tr")
    }
    assert agency_rows == {"Test Health Trust": "2", "Test Police": "4"}
    # Every column heading says its grade in words, not by colour alone.
    headings = [th.get_text(strip=True) for th in by_section.thead("th")]
    assert headings == [
        "Section",
        "Outstanding",
        "Good",
        "Requires improvement",
        "Inadequate",
        "Total",
    ]

    judgements = soup.find("caption", string="Consolidated judgements by section").find_parent(
        "table"
    )
    overall = next(r for r in judgements.tbody("tr") if r.th.get_text(strip=True) == "Overall")
    assert [td.get_text() for td in overall("td")] == ["0", "0", "0", "1", "1"]

    spread = soup.find("caption", string="Lowest to highest agency grade, by case and section")
    first_row = spread.find_parent("table").tbody("tr")[0]
    recognition_cell = first_row("td")[0].get_text(" ", strip=True)
    assert "Inadequate to Good" in recognition_cell and "Divergent" in recognition_cell
    assert "Divergent" not in first_row("td")[1].get_text()

    page = _text(soup)
    assert "agencies' grades range from Inadequate to Good" in page
    assert "the meeting judged the case Inadequate overall" in page
    assert "the return from Test Health Trust was due on" in page  # overdue on case 2
    assert "the return from Test Police was submitted on" in page  # late on case 2
    assert "Recording: learning in 2 cases" in page
    assert "Test Health Trust graded" in page  # its own Inadequate


def test_flags_can_be_filtered_by_kind(pqa_client, world, moderated):
    url = _url(world, moderated, "analysis")

    def kinds(query):
        soup = pqa_client.soup(f"{url}?{query}")
        flags = soup.find("caption", string="Flags, most severe first").find_parent("table")
        return {row("td")[1].get_text(strip=True) for row in flags.tbody("tr")}

    assert kinds("kind=return_overdue") == {"Return overdue"}
    everything = kinds("kind=")  # "All" in the form sends an empty value
    assert {"Return overdue", "Inadequate judgement", "Return submitted late"} < everything
    assert kinds("") == everything
    response = pqa_client.get(f"{url}?kind=nonsense")
    assert response.status_code == 400
    assert "kind must be one of" in response.get_data(as_text=True)


def test_analysis_trend_covers_rounds_of_the_same_theme_only(
    make, world, session, pqa_client, moderated
):
    version = moderated.template_version
    earlier = make.case_round(
        world.partnership,
        [[world.police], [world.police], [world.police]],
        version=version,
        status=RoundStatus.CLOSED,
        due_on=TODAY - timedelta(days=400),
    )
    for case, grade in zip(earlier.cases, ["good", "outstanding", "inadequate"], strict=True):
        case.overall_grade = grade
    session.add(
        LearningPoint(
            case=earlier.cases[0], theme=LearningTheme.RECORDING, text="Old", by_id=world.pqa.id
        )
    )
    make.case_round(world.partnership, [[world.police]], status=RoundStatus.CLOSED)  # other theme
    make.case_round(  # a draft of the same theme: no findings yet, not in the trend
        world.partnership, [[world.police]], version=version, status=RoundStatus.DRAFT
    )
    session.flush()
    soup = pqa_client.soup(_url(world, moderated, "analysis"))
    trend = soup.find("caption", string="Overall judgements by round").find_parent("table")
    rows = [[c.get_text(" ", strip=True) for c in row(["th", "td"])] for row in trend.tbody("tr")]
    assert [row[0].split(" Returns due")[0] for row in rows] == [
        earlier.name,
        f"{moderated.name} (this round)",
    ]
    assert rows[0][1:] == ["1", "1", "0", "1", "0", "67%"]
    assert rows[1][1:] == ["0", "0", "0", "1", "1", "0%"]
    assert f"Recording: also learning in {earlier.name}" in _text(soup)


# -- The report ----------------------------------------------------------------------------


@pytest.mark.parametrize("area", ["pqa", "panel"])
def test_report_summarises_the_round_for_the_board(
    area, pqa_client, panel_client, world, moderated
):
    client = {"pqa": pqa_client, "panel": panel_client}[area]
    soup = client.soup(_url(world, moderated, "report", area))
    page = _text(soup)
    first, second = moderated.cases
    for case in (first, second):
        assert case.reference in page
    sample = soup.find("th", string="Case reference").find_parent("table")
    row = sample.tbody("tr")[0]
    assert [c.get_text(" ", strip=True) for c in row(["th", "td"])] == [
        first.reference,
        "5 to 9",
        "Child protection",
        "Test Health Trust, Test Police",
        "Inadequate",
    ]
    assert f"Test Police ({first.reference}): Risk was shared at once" in page
    assert f"Test Health Trust ({first.reference}): Missed the bruising" in page
    assert f"Test Health Trust ({first.reference}): Train on body maps" in page
    assert "Draft text never shown" not in page  # from a return not submitted
    assert "Decisions not written down" in page and "Chronology missing" in page
    actions = soup.find("caption", string="Actions agreed, soonest due first").find_parent("table")
    cells = [c.get_text(" ", strip=True) for c in actions.tbody("tr")[0]("td")]
    assert cells == [
        first.reference,
        "Test Health Trust",
        "Body-map training for health visitors",
        "Named nurse",
        f"{TODAY + timedelta(days=60):%-d %B %Y}",
        "Open",
    ]
    assert "1 immediate safeguarding concern was raised during this round: 1 still open" in page
    assert "Secret concern detail" not in page and "Head of service" not in page
    assert soup.find(class_="app-print-document") is not None
    assert soup.find(class_="app-no-print") is not None


def test_a_round_with_nothing_in_yet_says_so(make, world, pqa_client):
    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    analysis = _text(pqa_client.soup(_url(world, audit_round, "analysis")))
    assert "None yet: no agency has submitted a graded return for this round." in analysis
    assert "None yet: the meeting has not recorded any judgements for this round." in analysis
    assert "None yet: the meeting has not recorded any learning for this round." in analysis
    assert "There is no other round of this theme to compare with yet." in analysis
    report = _text(pqa_client.soup(_url(world, audit_round, "report")))
    assert "None yet: the meeting has not judged any case overall." in report
    assert "None yet: no action has been agreed from this round." in report
    assert "None yet: no submitted return makes a recommendation." in report
    assert "None raised in this round." in report


def test_a_round_with_no_cases_renders(make, world, pqa_client):
    audit_round = make.case_round(world.partnership, [])
    for page in ("analysis", "report"):
        assert "None yet: the round has no cases." in _text(
            pqa_client.soup(_url(world, audit_round, page))
        )


def test_another_partnerships_round_is_not_found(make, world, pqa_client, panel_client):
    theirs = make.case_round(world.other_partnership, [[world.other_agency]])
    for page in ("analysis", "report"):
        assert pqa_client.get(_url(world, theirs, page)).status_code == 404
        assert panel_client.get(_url(world, theirs, page, "panel")).status_code == 404
        assert (
            pqa_client.get(_url(world, theirs, page).replace(str(theirs.id), "999999")).status_code
            == 404
        )


def test_a_draft_round_is_pqas_alone(make, world, pqa_client, panel_client):
    draft = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    assert pqa_client.get(_url(world, draft, "analysis")).status_code == 200
    assert panel_client.get(_url(world, draft, "analysis", "panel")).status_code == 404
    assert panel_client.get(_url(world, draft, "report", "panel")).status_code == 404


# -- A fixed number of statements --------------------------------------------------------


def _statements(app, client, url) -> int:
    engine = app.extensions["database"].engine
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def _round_of(make, session, world, agencies, cases: int):
    audit_round = make.case_round(world.partnership, [agencies] * cases)
    grades = ["outstanding", "good", "requires_improvement", "inadequate"]
    for n, case in enumerate(audit_round.cases):
        for m, case_return in enumerate(case.returns):
            if (n + m) % 3:  # most in, some not
                submit(
                    session,
                    case_return,
                    {"recognition-1": grades[(n + m) % 4], "planning-1": grades[m % 4]},
                    texts={"recognition": ("Good", "Develop", "Recommend")},
                )
        judge(session, case, world.pqa, {"recognition": grades[n % 4]}, grades[n % 4])
        session.add(
            LearningPoint(
                case=case, theme=list(LearningTheme)[n % 3], text="Learning", by_id=world.pqa.id
            )
        )
        session.add(
            Action(
                partnership=world.partnership,
                agency=agencies[0],
                source=ActionSource.CASE_AUDIT,
                case_id=case.id,
                description="Do better",
                owner="Lead",
                due_on=TODAY + timedelta(days=30),
                status=ActionStatus.OPEN,
            )
        )
    session.flush()
    return audit_round


@pytest.mark.parametrize("area", ["pqa", "panel"])
def test_statement_count_does_not_grow_with_the_round(
    area, app, make, session, world, pqa_client, panel_client
):
    client = {"pqa": pqa_client, "panel": panel_client}[area]
    extra = [make.agency(world.partnership, f"Extra agency {n}") for n in range(3)]
    small = _round_of(make, session, world, [world.police, world.health], 2)
    large = _round_of(make, session, world, [world.police, world.health, *extra], 6)
    counts = {
        name: [
            _statements(app, client, _url(world, r, page, area)) for page in ("analysis", "report")
        ]
        for name, r in (("2 cases x 2 agencies", small), ("6 cases x 5 agencies", large))
    }
    assert counts["2 cases x 2 agencies"] == counts["6 cases x 5 agencies"], counts
