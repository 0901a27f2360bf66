"""The Section 11 workbooks: the PQA's cycle workbook and an agency's own return.

Row builders are tested on plain data; the workbooks are downloaded through the web
pages, opened with openpyxl and checked against the heat map and the scoring rules in
docs/scoring.md."""

from __future__ import annotations

import io
import math
from collections import defaultdict
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from audit_tool import clock
from audit_tool.demo import load_demo
from audit_tool.exports import rows as row_rules
from audit_tool.exports import s11_rows
from audit_tool.exports.rows import EXCEL_CELL_LIMIT, fit_row, split_text, utf16_len
from audit_tool.models import AuditCycle, Sector, User
from audit_tool.scoring import Scored, summarise
from audit_tool.services import assessments as svc
from audit_tool.services import dashboard
from audit_tool.services.assessments import AnswerInput

from .conftest import audit_events
from .factories import PASSWORD

CYCLE_SHEETS = [
    "About",
    "Summary",
    "Heat map",
    "Criteria",
    "Responses",
    "Evidence items",
    "Flags",
    "Actions",
    "Panels",
]
AGENCY_SHEETS = [
    "About",
    "Scorecard",
    "Responses",
    "Evidence items",
    "Flags",
    "Panel feedback",
    "Actions",
]

# ---------------------------------------------------------------------------------------
# Pure rules


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300), st.integers(2, 40))
def test_split_text_gives_back_the_text_in_parts_that_fit(text, limit):
    parts = split_text(text, limit)
    assert "".join(parts) == text
    assert all(utf16_len(p) <= limit for p in parts)
    assert all(parts[:-1])  # no empty part before the last


def test_split_text_prefers_a_break_between_words():
    text = ("word " * 10_000).strip()
    parts = split_text(text)
    assert len(parts) == 2
    assert parts[0].endswith(" ") and not parts[1].startswith(" ")
    assert "".join(parts) == text


def test_an_emoji_counts_as_two_characters_against_excels_limit():
    text = "😀" * 20_000  # 40,000 UTF-16 code units
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [32_766, 7_234]
    assert "".join(parts) == text


def test_fit_row_continues_long_text_with_keys_and_a_note():
    long = "x" * 40_000
    out = fit_row(["Police", "1.1", "Green", long, "short", None], key_columns=2, note_column=5)
    assert len(out) == 2
    first, second = out
    assert first[:3] == ["Police", "1.1", "Green"]
    assert first[3] + second[3] == long
    assert first[4] == "short" and second[4] is None
    assert second[:2] == ["Police", "1.1"] and second[2] is None
    assert "continues on the next 1 row" in first[5]
    assert "part 2 of 2" in second[5]
    assert fit_row(["a", "b"], key_columns=1, note_column=None) == [["a", "b"]]
    with pytest.raises(ValueError, match="note column"):
        fit_row(["a", long], key_columns=1, note_column=None)
    assert len(row_rules.split_text("y" * (3 * EXCEL_CELL_LIMIT + 1))) == 4


LEVELS = [
    s11_rows.LevelInfo("red", "Red", 0, "#d4351c", 0),
    s11_rows.LevelInfo("amber", "Amber", 40, "#f47738", 1),
    s11_rows.LevelInfo("green", "Green", 80, "#00703c", 2),
    s11_rows.LevelInfo("blue", "Blue", 100, "#1d70b8", 3),
]


class _Level:
    def __init__(self, info):
        self.score, self.position, self.colour = info.score, info.position, info.colour


@given(st.floats(0, 100))
def test_colour_bands_colour_a_score_like_the_web_heat_map(score):
    bands = s11_rows.bands(LEVELS)
    matching = [
        b
        for b in bands
        if (score >= b.low if b.inclusive_low else score > b.low) and score <= b.high
    ]
    assert len(matching) == 1
    nearest = dashboard.nearest_level(score, [_Level(level) for level in LEVELS])
    assert matching[0].colour == nearest.colour


def test_ties_between_two_ratings_take_the_lower_colour():
    bands = s11_rows.bands(LEVELS)
    amber = next(b for b in bands if b.colour == "#f47738")
    assert (amber.low, amber.high) == (20, 60)  # 60 is between amber (40) and green (80)


def test_text_colour_is_whichever_reads_better():
    assert s11_rows.font_for("#1d70b8") == "#ffffff"
    assert s11_rows.font_for("#f47738") == "#0b0c0c"
    assert s11_rows.font_for("#ffffff") == "#0b0c0c"


def test_response_rows_show_both_ratings_and_the_score_that_counts():
    criterion = s11_rows.CriterionInfo(7, "C1", "1.1", "Lead", "S1", "1", essential=True)
    agency = s11_rows.AgencyInfo(3, 30, "Police", "Police", "Submitted")
    answer = Scored(3, "C1", "S1", "blue", 100, "green", 80, weight=2)
    text = s11_rows.AnswerText(evidence="Policy", action_due=date(2027, 3, 1))
    items = [s11_rows.EvidenceInfo("Policy v4", "Intranet", review_on=date(2027, 1, 1))]
    [row] = s11_rows.response_rows(
        fields=s11_rows.RESPONSE_FIELDS,
        agency=agency,
        answers=[answer],
        criteria={"C1": criterion},
        levels={level.key: level for level in LEVELS},
        texts={7: text},
        evidence={7: items},
        panel={7: s11_rows.PanelRating("green", "Thin evidence")},
        flags={},
    )
    values = dict(zip([f.column.header for f in s11_rows.RESPONSE_FIELDS], row, strict=True))
    assert values["Own rating"] == "Blue" and values["Own score"] == 100
    assert values["Panel's rating"] == "Green" and values["Panel's reasons"] == "Thin evidence"
    assert values["Score used"] == 80 and values["Weight"] == 2
    assert values["Action due"] == date(2027, 3, 1)
    assert values["Earliest evidence review date"] == date(2027, 1, 1)
    assert values["Evidence items"] == "Policy v4; Intranet; review by 2027-01-01"
    agency_headers = [f.column.header for f in s11_rows.AGENCY_RESPONSE_FIELDS]
    assert "Agency" not in agency_headers and "Score used" not in agency_headers


def test_status_rows_count_every_return():
    agencies = [
        s11_rows.AgencyInfo(i, i, f"A{i}", "Police", status)
        for i, status in enumerate(["Submitted", "Submitted", "Not started", "In progress"])
    ]
    rows = {r[0]: r[1:] for r in s11_rows.status_rows(agencies)}
    assert rows["Submitted"] == [2, 0.5]
    assert rows["Reopened"] == [0, 0.0]
    assert rows["All returns"] == [4, 1.0]


# ---------------------------------------------------------------------------------------
# Reading workbooks


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def table(sheet) -> list[dict]:
    """A sheet's table as dicts keyed by header, stopping at the first blank row."""
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows)
    found = []
    for row in rows:
        if all(v is None for v in row):
            break
        found.append(dict(zip(headers, row, strict=False)))
    return found


def about(sheet) -> dict:
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


# ---------------------------------------------------------------------------------------
# The demo partnership's cycles


@pytest.fixture
def demo(session, client_for):
    load_demo(session, password=PASSWORD)
    session.flush()
    cycles = {c.name: c for c in session.scalars(select(AuditCycle))}
    pqa = session.scalar(select(User).where(User.email == "pqa@example.org"))
    police_lead = session.scalar(select(User).where(User.email == "lead.police@example.org"))
    return {
        "current": cycles["Section 11 audit 2026 to 2028"],
        "previous": cycles["Section 11 audit 2024 to 2026"],
        "pqa": client_for(pqa),
        "pqa_user": pqa,
        "police": client_for(police_lead),
    }


def test_the_demo_current_cycle_workbook_has_every_sheet(demo, session):
    cycle = demo["current"]
    response = demo["pqa"].get(f"/p/demo/pqa/cycles/{cycle.id}/workbook.xlsx")
    book = workbook(response)
    assert book.sheetnames == CYCLE_SHEETS
    assert "demo-section-11-audit-2026-to-2028.xlsx" in response.headers["Content-Disposition"]

    cover = about(book["About"])
    assert cover["Partnership"] == "Demo Safeguarding Children Partnership"
    assert cover["Audit cycle"] == cycle.name
    assert cover["Framework"] == cycle.framework_version.name
    assert cover["Generated by"] == "Priya Quayle (pqa@example.org)"
    assert isinstance(cover["Generated at (UTC)"], datetime)
    assert cover["Filters applied"].startswith("None")
    scale = [row for row in book["About"].iter_rows(values_only=True) if row[2] == "#1d70b8"]
    assert scale and scale[0][1] == 100  # the blue rating, with its score

    data = dashboard.load_cycle_data(session, cycle)
    responses = table(book["Responses"])
    # One row per agency and criterion that applies to it: no text here is long enough
    # to need a continuation row.
    assert len(responses) == len(data.answers) > 13 * 40
    # Every table: bold header, a filter over it, the header frozen.
    for name in CYCLE_SHEETS[1:]:
        sheet = book[name]
        assert sheet["A1"].font.b, name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
        assert sheet.freeze_panes and sheet.freeze_panes[1:] == "2", name

    # Typed cells: real dates, numbers, percentages as numbers with a % format.
    actions = table(book["Actions"])
    assert actions and all(isinstance(a["Due"], datetime) for a in actions)
    overdue = [a for a in actions if a["Overdue"] == "Yes"]
    assert all(isinstance(a["Days overdue"], int) and a["Days overdue"] > 0 for a in overdue)
    criteria_sheet = book["Criteria"]
    headers = [c.value for c in criteria_sheet[1]]
    share = headers.index("Green – Met: %") + 1
    cell = criteria_sheet.cell(row=2, column=share)
    assert isinstance(cell.value, float) and 0 <= cell.value <= 1
    assert cell.number_format == "0%"
    assert table(book["Panels"])  # the panel scheduled in the current cycle

    # The download is in the audit trail, with the rows of each sheet.
    [event] = audit_events(session, "export_created")
    assert event.actor_id == demo["pqa_user"].id
    assert event.data["kind"] == "section_11_cycle_workbook"
    assert event.data["filters"] == {}
    assert event.data["rows"]["Responses"] == len(responses)
    assert event.data["rows"]["Actions"] == len(actions)


def test_heat_map_shows_the_web_heat_maps_numbers(demo, session):
    """The previous cycle: panels moderated, so both the scores that count and the
    agencies' own are shown."""
    cycle = demo["previous"]
    book = workbook(demo["pqa"].get(f"/p/demo/pqa/cycles/{cycle.id}/workbook.xlsx"))
    heat = table(book["Heat map"])
    data = dashboard.load_cycle_data(session, cycle)
    scores = dashboard.score_table(data)
    own = dashboard.self_score_table(data)
    assert own is not None
    standards = data.standards
    by_name = {a.agency.name: a.agency_id for a in data.assessments}
    for row in heat:
        agency_id = by_name[row["Agency"]]
        assert _close(row["Overall"], scores.agency.get(agency_id))
        assert _close(row["Own ratings: overall"], own.agency.get(agency_id))
        for s in standards:
            assert _close(
                row[f"{s.code}. {s.title}"], scores.agency_standard.get((agency_id, s.key))
            )
            assert _close(
                row[f"Own ratings: {s.code}"], own.agency_standard.get((agency_id, s.key))
            )

    # And, rounded as the page rounds them, exactly what the page shows.
    page = demo["pqa"].get(f"/p/demo/pqa/cycles/{cycle.id}/dashboard").get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    for tr in soup.select("table.app-heat-map tbody tr"):
        name = tr.find("th").get_text(strip=True)
        row = next(r for r in heat if r["Agency"] == name)
        cells = tr.find_all("td")[2 : 3 + len(standards)]
        shown = [
            tag.get_text(strip=True) if (tag := c.select_one(".app-rating-tag")) else None
            for c in cells
        ]
        values = [row["Overall"], *(row[f"{s.code}. {s.title}"] for s in standards)]
        assert shown == [None if v is None else f"{v:.0f}" for v in values]
    # Cells are coloured by rule, in the scale's colours.
    rules = [
        rule for formatting in book["Heat map"].conditional_formatting for rule in formatting.rules
    ]
    colours = {rule.dxf.fill.bgColor.rgb[-6:].lower() for rule in rules}
    assert colours == {level.colour.lstrip("#").lower() for level in data.levels}


def test_heat_map_cells_recomputed_from_the_responses_sheet(demo, session):
    """docs/scoring.md: a standard score is the weighted mean of the scores used (the
    panel's where it moderated), leaving out N/A and unrated answers; the partnership's
    is the mean of the agencies' scores."""
    cycle = demo["previous"]
    book = workbook(demo["pqa"].get(f"/p/demo/pqa/cycles/{cycle.id}/workbook.xlsx"))
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in table(book["Responses"]):
        if row["Score used"] is None:
            assert row["Not applicable"] == "Yes" or row["Own rating"] is None
            continue
        expected = row["Panel's score"] if row["Panel's rating"] else row["Own score"]
        assert row["Score used"] == expected
        total = sums[(row["Agency"], row["Standard"])]
        total[0] += row["Weight"] * row["Score used"]
        total[1] += row["Weight"]
    heat = table(book["Heat map"])
    data = dashboard.load_cycle_data(session, cycle)
    checked = 0
    per_standard = defaultdict(list)
    for row in heat:
        for s in data.standards:
            cell = row[f"{s.code}. {s.title}"]
            weighted, weights = sums.get((row["Agency"], s.code), (0.0, 0.0))
            if weights == 0:
                assert cell is None
                continue
            assert math.isclose(cell, weighted / weights, rel_tol=1e-12)
            per_standard[s.code].append(cell)
            checked += 1
    assert checked > 50
    summary = {r["Standard"]: r for r in table(book["Summary"])}
    for code, cells in per_standard.items():
        assert math.isclose(summary[code]["Partnership score"], sum(cells) / len(cells))


def test_criteria_shares_are_of_the_agencies_that_rated(make, world, session, pqa_client):
    council = make.agency(world.partnership, "Test Council", sector=Sector.LOCAL_AUTHORITY)
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    criterion = svc.load_return(session, by_agency[world.police.id]).standards[0].entries[0]
    for agency_id, level in ((world.police.id, "green"), (world.health.id, "amber")):
        svc.save_answer(
            session,
            assessment=by_agency[agency_id],
            criterion=criterion.criterion,
            seen_version=0,
            answer=AnswerInput(level_key=level, evidence="E"),
            by=world.pqa,
        )
    session.flush()
    book = workbook(
        pqa_client.get(f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}/workbook.xlsx")
    )
    row = next(r for r in table(book["Criteria"]) if r["Criterion"] == criterion.criterion.code)
    assert row["Green – Met: agencies"] == 1 and row["Green – Met: %"] == 0.5
    assert row["Amber – Partly met: %"] == 0.5 and row["Blue – Exceeds: %"] == 0
    assert row["Not rated"] == 1 and row["Agencies that rated it"] == 2
    assert council.name in {r["Agency"] for r in table(book["Heat map"])}


def test_a_40000_character_narrative_is_exported_whole(make, world, session, pqa_client):
    cycle = make.cycle(world.partnership)
    police = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = svc.load_return(session, police).standards[0].entries[0].criterion
    narrative = "".join(f"Paragraph {n}: the board reviewed the policy. " for n in range(900))
    narrative = narrative[:40_000]
    assert len(narrative) == 40_000
    svc.save_answer(
        session,
        assessment=police,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key="green", evidence=narrative, impact="Audits"),
        by=world.police_lead,
    )
    session.flush()
    book = workbook(
        pqa_client.get(f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}/workbook.xlsx")
    )
    rows = [
        r
        for r in table(book["Responses"])
        if r["Agency"] == world.police.name and r["Criterion"] == criterion.code
    ]
    assert len(rows) == 2
    first, rest = rows
    assert first["Evidence"] + rest["Evidence"] == narrative
    assert len(first["Evidence"]) <= 32_767
    assert "32,767-character cell limit continues on the next 1 row" in first["Notes"]
    assert rest["Notes"] == "Continued from the row above (part 2 of 2)."
    assert first["Own rating"] == "Green – Met" and rest["Own rating"] is None
    assert rest["How they know it works"] is None


# ---------------------------------------------------------------------------------------
# The agency's own workbook


@pytest.fixture
def two_returns(make, world, session):
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    police, health = by_agency[world.police.id], by_agency[world.health.id]
    for assessment, lead, words in (
        (police, world.police_lead, "Police evidence"),
        (health, world.health_lead, "Secret health evidence"),
    ):
        for entry in svc.load_return(session, assessment).standards[0].entries[:2]:
            svc.save_answer(
                session,
                assessment=assessment,
                criterion=entry.criterion,
                seen_version=0,
                answer=AnswerInput(level_key="green", evidence=words),
                by=lead,
            )
    session.flush()
    return cycle, police, health


def test_agency_workbook_holds_only_their_agency(agency_client, world, session, two_returns):
    _, police, health = two_returns
    slug = world.partnership.slug
    response = agency_client.get(f"/p/{slug}/agency/returns/{police.id}/workbook.xlsx")
    book = workbook(response)
    assert book.sheetnames == AGENCY_SHEETS
    everything = "\n".join(
        str(value)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert "Police evidence" in everything
    assert world.health.name not in everything
    assert "Secret health evidence" not in everything
    responses = table(book["Responses"])
    assert {r["Criterion"] for r in responses} and "Agency" not in responses[0]
    scorecard = {r["Standard"]: r for r in table(book["Scorecard"])}
    data = dashboard.load_cycle_data(session, police.cycle)
    scores = dashboard.score_table(data)
    first = data.standards[0]
    assert _close(
        scorecard[first.code]["Your agency"], scores.agency_standard[(world.police.id, first.key)]
    )
    assert _close(
        scorecard[first.code]["Partnership average"], scores.partnership_standard[first.key]
    )
    [event] = audit_events(session, "export_created")
    assert event.actor_id == world.police_lead.id
    assert event.data["kind"] == "section_11_agency_workbook"
    assert event.data["filters"] == {"agency": world.police.name}
    assert event.data["rows"]["Responses"] == len(responses)
    # Another agency's return is a 404, like one that does not exist; nothing is logged.
    assert (
        agency_client.get(f"/p/{slug}/agency/returns/{health.id}/workbook.xlsx").status_code == 404
    )
    assert agency_client.get(f"/p/{slug}/agency/returns/999999/workbook.xlsx").status_code == 404
    assert len(audit_events(session, "export_created")) == 1


def test_agency_sees_panel_feedback_only_once_signed_off(
    make, world, session, agency_client, two_returns
):
    from audit_tool.models import Outcome
    from audit_tool.services import panels

    cycle, police, _ = two_returns
    criterion = svc.load_return(session, police).standards[0].entries[0].criterion
    panel = panels.schedule_panel(
        session,
        cycle=cycle,
        held_on=clock.today() + timedelta(days=3),
        starts_at="09:30",
        place="Room 1",
        chair=world.panel,
        members=[],
        assessments=[police],
        by=world.pqa,
        today=clock.today(),
    )
    panels.start_panel(session, panel=panel, by=world.panel)
    attendance = panel.attendances[0]
    challenge = panels.raise_challenge(
        session,
        attendance=attendance,
        question="Show us the minutes",
        criterion=criterion,
        standard=None,
        by=world.panel,
    )
    panels.answer_challenge(
        session, challenge=challenge, response="Minutes attached", by=world.police_lead
    )
    panels.moderate(
        session,
        attendance=attendance,
        criterion=criterion,
        level_key="amber",
        rationale="Thin evidence",
        by=world.panel,
    )
    panels.record_outcome(
        session,
        attendance=attendance,
        outcome=Outcome.PARTIALLY_ASSURED,
        summary="Good start",
        private_notes="PANEL ONLY: lead seemed unsure",
        by=world.panel,
    )
    session.flush()
    url = f"/p/{world.partnership.slug}/agency/returns/{police.id}/workbook.xlsx"

    def sheets():
        book = workbook(agency_client.get(url))
        return table(book["Panel feedback"]), table(book["Responses"]), book

    feedback, responses, book = sheets()
    assert feedback[0]["Challenge"] == "Show us the minutes"
    assert feedback[0]["Agency's answer"] == "Minutes attached"
    assert feedback[0]["Outcome"] is None and feedback[0]["Panel satisfied"] is None
    assert all(r["Panel's rating"] is None for r in responses)

    panels.sign_off(session, panel=panel, by=world.panel)
    session.flush()
    feedback, responses, book = sheets()
    assert feedback[0]["Outcome"] == "Partially assured"
    assert feedback[0]["Outcome summary"] == "Good start"
    row = next(r for r in responses if r["Criterion"] == criterion.code)
    assert (
        row["Panel's rating"] == "Amber – Partly met" and row["Panel's reasons"] == "Thin evidence"
    )
    everything = " ".join(
        str(v) for sheet in book for r in sheet.iter_rows(values_only=True) for v in r if v
    )
    assert "PANEL ONLY" not in everything


def test_only_pqa_of_the_partnership_download_the_cycle_workbook(client_for, make, world):
    cycle = make.cycle(world.partnership)
    url = f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}/workbook.xlsx"
    assert client_for(world.other_pqa).get(url).status_code == 403
    assert client_for(world.police_lead).get(url).status_code == 403
    other = make.cycle(world.other_partnership)
    assert (
        client_for(world.pqa)
        .get(f"/p/{world.partnership.slug}/pqa/cycles/{other.id}/workbook.xlsx")
        .status_code
        == 404
    )
    draft = make.cycle(world.partnership, opened=False)
    assert (
        client_for(world.pqa)
        .get(f"/p/{world.partnership.slug}/pqa/cycles/{draft.id}/workbook.xlsx")
        .status_code
        == 404
    )


def test_cycle_page_offers_the_workbook(pqa_client, make, world):
    cycle = make.cycle(world.partnership)
    soup = pqa_client.soup(f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}")
    link = soup.find("a", string="Download workbook (Excel)")
    assert link["href"] == f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}/workbook.xlsx"


def test_the_agency_task_list_links_to_its_workbook(agency_client, world, two_returns):
    _, police, _ = two_returns
    base = f"/p/{world.partnership.slug}/agency/returns/{police.id}"
    soup = agency_client.soup(f"{base}/")
    link = soup.find("a", string="Download your return as a workbook (Excel)")
    assert link["href"] == f"{base}/workbook.xlsx"


def test_scores_on_the_summary_match_summarise(make, world, session, pqa_client):
    """A hand-sized case: the police rate 1.1 blue and 1.2 amber, health 1.1 red."""
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    entries = svc.load_return(session, by_agency[world.police.id]).standards[0].entries
    plan = [
        (world.police.id, entries[0], "blue"),
        (world.police.id, entries[1], "amber"),
        (world.health.id, entries[0], "red"),
    ]
    for agency_id, entry, level in plan:
        svc.save_answer(
            session,
            assessment=by_agency[agency_id],
            criterion=entry.criterion,
            seen_version=0,
            answer=AnswerInput(level_key=level, evidence="E"),
            by=world.pqa,
        )
    session.flush()
    book = workbook(
        pqa_client.get(f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}/workbook.xlsx")
    )
    first = table(book["Summary"])[0]
    # Police (100 + 40) / 2 = 70; health 0; partnership (70 + 0) / 2 = 35.
    assert first["Partnership score"] == 35
    assert first["Agencies scored"] == 2
    expected = summarise(
        [
            Scored(1, "a", "s", "blue", 100),
            Scored(1, "b", "s", "amber", 40),
            Scored(2, "a", "s", "red", 0),
        ]
    )
    assert expected.partnership_standard["s"] == 35
    heat = {r["Agency"]: r for r in table(book["Heat map"])}
    assert heat[world.police.name]["Overall"] == 70
    assert heat[world.health.name]["Overall"] == 0
    statuses = [r for r in book["Summary"].iter_rows(values_only=True) if r[0] == "All returns"]
    assert statuses[0][1] == len(cycle.assessments)
