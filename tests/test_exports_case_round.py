"""The case-file audit round workbook: downloaded from the round page by PQA and the
panel, or written by `flask export-case-round`; opened with openpyxl and checked against
the grade rules in case_grading.py and the moderation meeting's rules (only submitted
returns count; a missing return is never a grade)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from audit_tool import clock
from audit_tool.case_grading import Grade, summarise_grades
from audit_tool.exports import action_rows, case_rows, s11_rows
from audit_tool.exports.case_rows import ReturnDetail
from audit_tool.exports.rows import Filled
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
)

from .conftest import audit_events

TODAY = clock.today()
SHEETS = [
    "About",
    "Cases",
    "Agency grades",
    "Judgements",
    "Divergence",
    "Returns",
    "Learning",
    "Actions",
    "Concerns",
]


def _at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(12), tzinfo=UTC)


# ---------------------------------------------------------------------------------------
# Pure rules


@pytest.mark.parametrize(
    ("status", "submitted", "due_in", "expected"),
    [
        ("submitted", 5, -3, "Submitted"),
        ("submitted", 1, -3, "Submitted late"),
        ("in_progress", None, 3, "In progress (draft)"),
        ("reopened", None, -3, "Reopened (draft), overdue"),
        ("not_started", None, 3, "Not started (missing)"),
        ("not_started", None, -3, "Not started (missing), overdue"),
    ],
)
def test_a_returns_state_in_words(status, submitted, due_in, expected):
    r = ReturnDetail(1, 1, status, _at(submitted) if submitted is not None else None)
    label = case_rows.return_label(r, due_on=TODAY + timedelta(days=due_in), today=TODAY)
    assert label == expected


def test_grade_cells_carry_the_scale_colour_of_the_lowest_grade():
    assert case_rows.grade_cell(None) is None
    assert case_rows.grade_cell(Grade.GOOD) == Filled("Good", Grade.GOOD.colour)
    several = case_rows._grades_cell([Grade.GOOD, Grade.INADEQUATE])
    assert several == Filled("Good, Inadequate", Grade.INADEQUATE.colour)
    counted = case_rows._count_cell([Grade.INADEQUATE, Grade.GOOD, Grade.GOOD])
    assert counted == Filled("2 Good; 1 Inadequate", Grade.INADEQUATE.colour)


# ---------------------------------------------------------------------------------------
# A round through the web


def _submit(session, case_return, grades, *, texts=None, status=None, at=None, comment=""):
    texts = texts or {}
    for section in case_return.case.round.template_version.sections:
        good, development, recommendations = texts.get(section.key, ("", "", ""))
        page = SectionReturn(
            case_return=case_return,
            section=section,
            good_practice=good,
            development=development,
            recommendations=recommendations,
        )
        for question in section.questions:
            if question.key in grades:
                page.answers.append(
                    CaseAnswer(question=question, answer=grades[question.key], comment=comment)
                )
        session.add(page)
    case_return.status = status or CaseReturnStatus.SUBMITTED
    if case_return.status is CaseReturnStatus.SUBMITTED:
        case_return.submitted_at = at or _at(5)
        case_return.last_activity_at = case_return.submitted_at
    session.flush()


def _return(case, agency):
    return next(r for r in case.returns if r.agency_id == agency.id)


@pytest.fixture
def audited(make, world, session):
    """Three cases, returns due three days ago.

    Case 1: police and health both in on time; on recognition the police say Good and
    health Inadequate (two levels apart). The meeting judged recognition and the case
    Inadequate, and recorded learning, an action and a concern.
    Case 2: police in late; health still drafting (its Outstanding must not count).
    Case 3: police only, not started (missing, overdue), with a stray answer saved
    against it that must never show as a grade."""
    audit_round = make.case_round(
        world.partnership,
        [[world.police, world.health], [world.police, world.health], [world.police]],
        due_on=TODAY - timedelta(days=3),
    )
    first, second, third = audit_round.cases
    _submit(
        session,
        _return(first, world.police),
        {"recognition-1": "good", "recognition-2": "yes", "planning-1": "good"},
        texts={"recognition": ("Shared at once", "", "Keep the triage")},
        comment="Seen the same day",
    )
    _submit(
        session,
        _return(first, world.health),
        {"recognition-1": "inadequate", "planning-1": "requires_improvement"},
    )
    _submit(
        session,
        _return(second, world.police),
        {"recognition-1": "requires_improvement"},
        at=_at(1),
    )
    _submit(
        session,
        _return(second, world.health),
        {"recognition-1": "outstanding"},
        status=CaseReturnStatus.IN_PROGRESS,
    )
    _submit(
        session,
        _return(third, world.police),
        {"recognition-1": "outstanding"},
        status=CaseReturnStatus.NOT_STARTED,
    )
    recognition = first.round.template_version.sections[0]
    session.add(
        CaseJudgement(
            case=first,
            section=recognition,
            grade="inadequate",
            rationale="Bruising was not followed up",
            set_by=world.panel,
        )
    )
    first.overall_grade = "inadequate"
    first.overall_rationale = "Risk was missed by two agencies"
    first.moderated_at = _at(0)
    first.moderated_by = world.panel
    session.add_all(
        [
            LearningPoint(
                case=first,
                theme=LearningTheme.RECORDING,
                text="Record the child's words",
                by_id=world.panel.id,
            ),
            Action(
                partnership_id=world.partnership.id,
                agency_id=world.health.id,
                source=ActionSource.CASE_AUDIT,
                case_id=first.id,
                description="Train staff on body maps",
                owner="Named nurse",
                due_on=TODAY - timedelta(days=1),
                status=ActionStatus.OPEN,
            ),
            SafeguardingConcern(
                partnership_id=world.partnership.id,
                case=first,
                description="Sibling not seen",
                follow_up_by="Head of service",
                due_on=TODAY + timedelta(days=2),
                raised_by_id=world.pqa.id,
            ),
        ]
    )
    session.flush()
    return audit_round


def _url(world, audit_round, area="pqa"):
    return f"/p/{world.partnership.slug}/{area}/case-rounds/{audit_round.id}/workbook.xlsx"


def _book(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _table(sheet) -> list[dict]:
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows)
    found = []
    for row in rows:
        if all(v is None for v in row):
            break
        found.append(dict(zip(headers, row, strict=False)))
    return found


def _cells(sheet) -> list[dict]:
    """Like `_table`, but openpyxl cells (for their colours)."""
    rows = sheet.iter_rows()
    headers = [c.value for c in next(rows)]
    return [dict(zip(headers, row, strict=False)) for row in rows if row[0].value is not None]


def _fill(cell) -> str:
    return "#" + cell.fill.fgColor.rgb[-6:].lower()


def test_the_round_workbook_lays_out_every_sheet(pqa_client, world, session, audited):
    response = pqa_client.get(_url(world, audited))
    book = _book(response)
    assert book.sheetnames == SHEETS
    slug = world.partnership.slug
    assert f'filename="{slug}-' in response.headers["Content-Disposition"]

    cover = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    assert cover["Partnership"] == world.partnership.name
    assert cover["Audit round"] == audited.name
    assert cover["Theme"] == audited.theme
    assert cover["Audit template"] == audited.template_version.label
    assert cover["Deadline for returns"].date() == audited.due_on
    assert cover["Moderation meeting"].date() == audited.moderation_on
    assert cover["Look-back period from"].date() == audited.lookback_from
    assert cover["Agency returns submitted"] == "3 of 5"
    assert cover["Generated by"] == f"{world.pqa.name} ({world.pqa.email})"
    assert isinstance(cover["Generated at (UTC)"], datetime)
    labels = {g.label for g in Grade}
    scale = {row[0].value: row[2] for row in book["About"].iter_rows() if row[0].value in labels}
    assert {name: _fill(cell) for name, cell in scale.items()} == {g.label: g.colour for g in Grade}

    # Every table: bold header, a filter over it, the header frozen.
    for name in SHEETS[1:]:
        sheet = book[name]
        assert sheet["A1"].font.b, name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
        assert sheet.freeze_panes and sheet.freeze_panes[1:] == "2", name

    first, second, third = audited.cases
    police, health = world.police.name, world.health.name
    cases = {row["Case"]: row for row in _table(book["Cases"])}
    assert cases[first.reference][f"Return: {police}"] == "Submitted"
    assert cases[second.reference][f"Return: {police}"] == "Submitted late"
    assert cases[second.reference][f"Return: {health}"] == "In progress (draft), overdue"
    assert cases[third.reference][f"Return: {police}"] == "Not started (missing), overdue"
    assert cases[third.reference][f"Return: {health}"] == "Not involved"
    assert cases[first.reference]["Returns submitted"] == 2
    assert cases[second.reference]["Returns expected"] == 2
    assert cases[first.reference]["Moderated"] == "Yes"
    assert cases[first.reference]["Moderated by"] == world.panel.name
    assert cases[first.reference]["Overall judgement"] == "Inadequate"
    assert cases[second.reference]["Moderated"] == "No"
    overall = next(r for r in _cells(book["Cases"]) if r["Case"].value == first.reference)
    assert _fill(overall["Overall judgement"]) == Grade.INADEQUATE.colour

    # The events: the download, with the rows of each sheet.
    [event] = audit_events(session, "export_created")
    assert event.actor_id == world.pqa.id
    assert event.data["kind"] == "case_round_workbook"
    assert event.data["filters"] == {}
    assert event.data["rows"]["Cases"] == 3
    assert event.data["rows"]["Agency grades"] == len(_table(book["Agency grades"]))


def test_agency_grades_show_missing_returns_as_missing(pqa_client, world, audited):
    book = _book(pqa_client.get(_url(world, audited)))
    first, second, third = audited.cases
    rows = _table(book["Agency grades"])
    # Every involved agency, every question (two sections of two questions).
    assert len(rows) == 5 * 4
    missing = [r for r in rows if r["Case"] == third.reference]
    assert len(missing) == 4
    for row in missing:
        assert row["Return status"] == "Not started (missing), overdue"
        assert row["Counted"] == "No"
        assert row["Grade"] is None and row["Answer"] is None and row["Comment"] is None
    draft = next(
        r
        for r in rows
        if r["Case"] == second.reference and r["Agency"] == world.health.name and r["No."] == "1.1"
    )
    assert draft["Grade"] == "Outstanding" and draft["Counted"] == "No"
    assert draft["Return status"] == "In progress (draft), overdue"
    police = [r for r in rows if r["Case"] == first.reference and r["Agency"] == world.police.name]
    by_number = {r["No."]: r for r in police}
    assert by_number["1.1"]["Kind"] == "Graded" and by_number["1.1"]["Grade"] == "Good"
    assert by_number["1.2"]["Kind"] == "Yes, partly or no" and by_number["1.2"]["Answer"] == "Yes"
    assert by_number["1.1"]["Comment"] == "Seen the same day"
    # The section's reflections are on each of its rows; the other section's are its own.
    assert by_number["1.1"]["Good practice (section)"] == "Shared at once"
    assert by_number["1.2"]["Recommendations (section)"] == "Keep the triage"
    assert by_number["2.1"]["Good practice (section)"] is None
    graded = next(
        r
        for r in _cells(book["Agency grades"])
        if r["Case"].value == first.reference and r["Grade"].value == "Inadequate"
    )
    assert _fill(graded["Grade"]) == Grade.INADEQUATE.colour


def test_judgements_put_agencies_side_by_side_with_the_meetings_view(pqa_client, world, audited):
    book = _book(pqa_client.get(_url(world, audited)))
    first, second, third = audited.cases
    police, health = world.police.name, world.health.name
    rows = {(r["Case"], r["Section"]): r for r in _table(book["Judgements"])}
    assert len(rows) == 3 * 3  # two sections and the overall, per case

    recognition = rows[(first.reference, "Recognition")]
    assert recognition[police] == "Good" and recognition[health] == "Inadequate"
    expected = summarise_grades([Grade.GOOD, Grade.INADEQUATE])
    assert recognition["Grades counted"] == expected.count == 2
    assert recognition["Lowest"] == "Inadequate" and recognition["Highest"] == "Good"
    assert recognition["Most common"] == "Inadequate and Good"  # a tie, lowest first
    assert recognition["Spread (levels)"] == expected.spread == 2
    assert recognition["Divergent"] == "Yes"
    assert recognition["Meeting's judgement"] == "Inadequate"
    assert recognition["Why the meeting reached it"] == "Bruising was not followed up"
    assert recognition["Recorded by"] == world.panel.name

    overall = rows[(first.reference, "Overall")]
    assert overall[police] == "2 Good"
    assert overall[health] == "1 Requires improvement; 1 Inadequate"
    assert overall["Grades counted"] == 4 and overall["Lowest"] == "Inadequate"
    assert overall["Meeting's judgement"] == "Inadequate"
    assert overall["Why the meeting reached it"] == "Risk was missed by two agencies"

    # A draft is shown as a draft and not counted; a missing return as missing.
    drafting = rows[(second.reference, "Recognition")]
    assert drafting[health] == "Draft, not counted"
    assert drafting[police] == "Requires improvement"
    assert drafting["Grades counted"] == 1 and drafting["Most common"] == "Requires improvement"
    assert drafting["Divergent"] == "No" and drafting["Meeting's judgement"] is None
    missing = rows[(third.reference, "Recognition")]
    assert missing[police] == "Missing" and missing[health] == "Not involved"
    assert missing["Grades counted"] == 0 and missing["Lowest"] is None
    assert missing["Spread (levels)"] is None
    assert rows[(first.reference, "Planning")][police] == "Good"


def test_divergence_returns_learning_actions_and_concerns(pqa_client, world, audited):
    book = _book(pqa_client.get(_url(world, audited)))
    first, second, third = audited.cases
    [divergent] = _table(book["Divergence"])
    assert divergent["Case"] == first.reference and divergent["No."] == "1.1"
    assert divergent[world.police.name] == "Good"
    assert divergent[world.health.name] == "Inadequate"
    assert divergent["Spread (levels)"] == 2
    assert divergent["Meeting's judgement of the section"] == "Inadequate"

    returns = {(r["Agency"], r["Case"]): r for r in _table(book["Returns"])}
    assert len(returns) == 5
    late = returns[(world.police.name, second.reference)]
    assert late["Standing"] == "Submitted late" and late["Days late or overdue"] == 2
    assert isinstance(late["Submitted (UTC)"], datetime)
    overdue = returns[(world.police.name, third.reference)]
    assert overdue["Standing"] == "Overdue" and overdue["Days late or overdue"] == 3
    assert overdue["Due"].date() == audited.due_on
    assert returns[(world.health.name, first.reference)]["Standing"] == "Submitted on time"
    # Listed by agency.
    assert [r["Agency"] for r in _table(book["Returns"])] == sorted(
        [a for a, _ in returns], key=str.casefold
    )

    [learning] = _table(book["Learning"])
    assert learning["Theme"] == LearningTheme.RECORDING.label
    assert learning["Learning"] == "Record the child's words"
    assert learning["Recorded by"] == world.panel.name
    assert learning["Cases in this round with this theme"] == 1

    [action] = _table(book["Actions"])
    assert action["Case"] == first.reference and action["Agency"] == world.health.name
    assert action["Overdue"] == "Yes" and action["Days overdue"] == 1
    assert action["Due"].date() == TODAY - timedelta(days=1)

    [concern] = _table(book["Concerns"])
    assert concern["Concern"] == "Sibling not seen" and concern["Status"] == "Open"
    assert concern["Raised by"] == world.pqa.name and concern["Overdue"] == "No"


def test_panel_members_download_open_rounds_only(
    panel_client, pqa_client, client_for, make, world, session, audited
):
    book = _book(panel_client.get(_url(world, audited, "panel")))
    assert book.sheetnames == SHEETS
    [event] = audit_events(session, "export_created")
    assert event.actor_id == world.panel.id
    draft = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    assert panel_client.get(_url(world, draft, "panel")).status_code == 404
    assert pqa_client.get(_url(world, draft)).status_code == 200
    elsewhere = make.case_round(world.other_partnership, [[world.other_agency]])
    assert pqa_client.get(_url(world, elsewhere)).status_code == 404
    assert client_for(world.police_lead).get(_url(world, audited)).status_code == 403
    assert client_for(world.other_pqa).get(_url(world, audited)).status_code == 403
    # Refused downloads are not recorded.
    assert len(audit_events(session, "export_created")) == 2


@pytest.mark.parametrize("area", ["pqa", "panel"])
def test_the_round_page_offers_the_workbook(app, client_for, world, audited, area):
    client = client_for(world.pqa if area == "pqa" else world.panel)
    soup = client.soup(f"/p/{world.partnership.slug}/{area}/case-rounds/{audited.id}")
    link = soup.find("a", string="Download workbook (Excel)")
    assert link["href"] == _url(world, audited, area)


# ---------------------------------------------------------------------------------------
# The command line


def test_export_case_round_from_the_command_line(app, world, session, audited, tmp_path):
    out = tmp_path / "round.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export-case-round", "--round", str(audited.id), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output and "Agency grades: 20 rows" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == SHEETS
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    assert about["Generated by"] == "Command line (flask export-case-round)"
    [event] = audit_events(session, "export_created")
    assert event.actor_id is None and event.data["file"] == "round.xlsx"
    assert event.data["kind"] == "case_round_workbook"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_an_unknown_round_is_a_clear_error_and_writes_nothing(app, session, tmp_path):
    out = tmp_path / "round.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export-case-round", "--round", "999999", "--out", str(out)]
    )
    assert result.exit_code != 0
    assert "There is no case-file audit round with id 999999. Nothing was written." in (
        result.output
    )
    assert list(tmp_path.iterdir()) == []
    assert audit_events(session, "export_created") == []


# ---------------------------------------------------------------------------------------
# docs/exports.md


def _documented() -> set[str]:
    """The first cell of every table row in docs/exports.md."""
    text = (Path(__file__).parent.parent / "docs" / "exports.md").read_text(encoding="utf-8")
    return {
        line.split("|")[1].strip()
        for line in text.splitlines()
        if line.startswith("| ") and line.count("|") >= 3
    }


def test_every_column_is_documented(pqa_client, world, audited):
    documented = _documented()
    columns = [
        *(f.column for f in s11_rows.RESPONSE_FIELDS),
        *s11_rows.EVIDENCE_COLUMNS,
        *action_rows.ACTION_COLUMNS,
        *s11_rows.PANEL_COLUMNS,
        *s11_rows.SCALE_COLUMNS,
        *s11_rows.STATUS_COLUMNS,
        *s11_rows.flag_table(flags=[], agencies={}, criteria={}, standards={}).columns,
        *case_rows.SCALE_COLUMNS,
    ]
    missing = {c.header for c in columns} - documented
    book = _book(pqa_client.get(_url(world, audited)))
    agencies = {world.police.name, world.health.name}
    for name in SHEETS[1:]:
        headers = next(book[name].iter_rows(values_only=True))
        missing |= {
            h for h in headers if h not in agencies and not h.startswith("Return: ")
        } - documented
    assert missing == set()
