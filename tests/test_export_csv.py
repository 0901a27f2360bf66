"""CSV copies of the tables on screen: the escaping rule on its own, the writer, and each
download (action tracker, returns tracker, heat map, flags, case round analysis) against
the page it copies, with its filters and its record in the audit trail."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit_tool import clock
from audit_tool.case_analysis import CaseFlagKind
from audit_tool.exports.case_analysis_rows import ANALYSIS_TABLES
from audit_tool.exports.csv_tables import FORMULA_TRIGGERS, cell_text, escape_cell, table_csv
from audit_tool.exports.rows import Column, Filled, Kind, Table
from audit_tool.flags import Severity
from audit_tool.models import (
    ActionSource,
    Assessment,
    AssessmentStatus,
    CaseAnswer,
    CaseJudgement,
    CaseReturnStatus,
    LearningPoint,
    LearningTheme,
    RoundStatus,
    SectionReturn,
    Sector,
    utcnow,
)
from audit_tool.services import assessments as svc
from audit_tool.services import dashboard
from audit_tool.services.actions import create_action
from audit_tool.services.agencies import create_agency
from audit_tool.services.assessments import AnswerInput

from .conftest import audit_events

TODAY = clock.today()

# ---------------------------------------------------------------------------------------
# The escaping rule and the writer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("http://example.org/x", "http://example.org/x"),
        ("Policy reviewed 1+1", "Policy reviewed 1+1"),
        ("", ""),
        ("'=already quoted", "'=already quoted"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_prefixed(text, expected):
    assert escape_cell(text) == expected


@given(st.text())
def test_an_escaped_cell_never_starts_a_formula_and_keeps_the_text(text):
    escaped = escape_cell(text)
    assert not escaped.startswith(FORMULA_TRIGGERS)
    assert escaped in (text, f"'{text}")


def test_cell_text_by_kind():
    assert cell_text(None, Kind.TEXT) == ""
    assert cell_text(date(2027, 3, 1), Kind.DATE) == "2027-03-01"
    assert cell_text(datetime(2027, 3, 1, 9, 5, 59, tzinfo=UTC), Kind.DATETIME) == (
        "2027-03-01 09:05"
    )
    assert cell_text(66.66666, Kind.SCORE) == "66.7"
    assert cell_text(0.755, Kind.PERCENT) == "76%"
    assert cell_text(3, Kind.INTEGER) == "3"
    assert cell_text(2.0, Kind.NUMBER) == "2"
    assert cell_text(Filled("Good", "#b3d19f"), Kind.TEXT) == "Good"
    assert cell_text(Filled("=1+1", "#b3d19f"), Kind.TEXT) == "'=1+1"
    # A CSV file has no types: a number is escaped like text.
    assert cell_text(-4, Kind.INTEGER) == "'-4"
    with pytest.raises(TypeError):
        cell_text(True, Kind.TEXT)


def test_table_csv_is_utf8_with_a_bom_and_quotes_what_it_must():
    table = Table(
        "Test",
        [Column("Name"), Column("Due", Kind.DATE), Column("=Header")],
        [["Café, “quoted”", date(2027, 1, 2), "two\nlines"], ["@x", None, "+y"]],
        footer=[["Total", None, None]],
    )
    csv_file = table_csv(table)
    assert csv_file.rows == 2
    assert csv_file.data.startswith(codecs.BOM_UTF8)
    text = csv_file.data.decode("utf-8-sig")
    assert text.startswith("Name,Due,'=Header\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [
        ["Name", "Due", "'=Header"],
        ["Café, “quoted”", "2027-01-02", "two\nlines"],
        ["'@x", "", "'+y"],
        ["Total", "", ""],
    ]


# ---------------------------------------------------------------------------------------
# Downloads


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert '.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(codecs.BOM_UTF8)
    header, *rows = csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""))
    return [dict(zip(header, row, strict=True)) for row in rows]


def _action(session, world, agency, description, *, due_in=30):
    return create_action(
        session,
        partnership=world.partnership,
        agency=agency,
        source=ActionSource.PANEL,
        description=description,
        owner="Safeguarding lead",
        due_on=TODAY + timedelta(days=due_in),
        today=TODAY + timedelta(days=min(due_in, 0) - 1),
        by=world.pqa,
    )


def test_action_tracker_csv_keeps_the_pages_filters(pqa_client, world, session):
    _action(session, world, world.police, "Refresh training")
    _action(session, world, world.police, "Audit files", due_in=-5)
    _action(session, world, world.health, "Health action")
    session.flush()
    base = f"/p/{world.partnership.slug}/pqa/actions"
    rows = read_csv(pqa_client.get(f"{base}.csv"))
    assert [r["Action"] for r in rows] == ["Audit files", "Refresh training", "Health action"]
    overdue = rows[0]
    assert overdue["Overdue"] == "Yes" and overdue["Days overdue"] == "5"
    assert overdue["Due"] == (TODAY - timedelta(days=5)).isoformat()
    assert overdue["Agency"] == world.police.name and overdue["Source"] == "Challenge panel"

    rows = read_csv(pqa_client.get(f"{base}.csv?agency={world.police.id}&due=overdue&status="))
    assert [r["Action"] for r in rows] == ["Audit files"]
    first, second = audit_events(session, "export_created")
    assert first.data == {"kind": "action_tracker_csv", "rows": {"Actions": 3}, "filters": {}}
    assert second.data["filters"] == {"agency": world.police.name, "due": "Overdue"}
    assert second.data["rows"] == {"Actions": 1}
    assert second.actor_id == world.pqa.id

    # A filter that cannot be used is refused, as on the page, and nothing is recorded.
    assert pqa_client.get(f"{base}.csv?status=purple").status_code == 400
    assert len(audit_events(session, "export_created")) == 2
    # The page links to the CSV with its filters.
    soup = pqa_client.soup(f"{base}?agency={world.police.id}&due=overdue")
    link = soup.find("a", string="Download these actions (CSV)")
    assert link["href"] == f"{base}.csv?agency={world.police.id}&due=overdue"


def test_returns_tracker_csv(pqa_client, make, world, session):
    cycle = make.cycle(world.partnership)
    police = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    criterion = svc.load_return(session, police).standards[0].entries[0].criterion
    svc.save_answer(
        session,
        assessment=police,
        criterion=criterion,
        seen_version=0,
        answer=AnswerInput(level_key="green", evidence="Policy"),
        by=world.police_lead,
    )
    session.flush()
    url = f"/p/{world.partnership.slug}/pqa/cycles/{cycle.id}"
    rows = {r["Agency"]: r for r in read_csv(pqa_client.get(f"{url}/returns.csv"))}
    assert set(rows) == {world.police.name, world.health.name}
    assert rows[world.police.name]["Status"] == "In progress"
    assert rows[world.police.name]["Complete"] not in ("", "0%")
    assert rows[world.police.name]["Last activity (UTC)"].startswith(TODAY.isoformat()[:4])
    assert rows[world.health.name]["Status"] == "Not started"
    assert rows[world.health.name]["Overdue"] == "No"
    [event] = audit_events(session, "export_created")
    assert event.data["kind"] == "returns_tracker_csv" and event.data["rows"] == {"Returns": 2}
    link = pqa_client.soup(url).find("a", string="Download the returns tracker (CSV)")
    assert link["href"] == f"{url}/returns.csv"


@pytest.fixture
def scored_cycle(make, world, session):
    cycle = make.cycle(world.partnership)
    by_agency = {a.agency_id: a for a in cycle.assessments}
    entries = svc.load_return(session, by_agency[world.police.id]).standards[0].entries
    for agency_id, entry, level in (
        (world.police.id, entries[0], "blue"),
        (world.police.id, entries[1], "amber"),
        (world.health.id, entries[0], "red"),
    ):
        svc.save_answer(
            session,
            assessment=by_agency[agency_id],
            criterion=entry.criterion,
            seen_version=0,
            answer=AnswerInput(level_key=level, evidence="E"),
            by=world.pqa,
        )
    session.flush()
    return cycle


@pytest.mark.parametrize("area", ["pqa", "panel"])
def test_heat_map_csv_has_the_pages_numbers(client_for, world, session, scored_cycle, area):
    client = client_for(world.pqa if area == "pqa" else world.panel)
    url = f"/p/{world.partnership.slug}/{area}/cycles/{scored_cycle.id}"
    rows = read_csv(client.get(f"{url}/heat-map.csv"))
    data = dashboard.load_cycle_data(session, scored_cycle)
    scores = dashboard.score_table(data)
    first = data.standards[0]
    by_agency = {r["Agency"]: r for r in rows}
    # Police (100 + 40) / 2 = 70; health 0; the partnership's mean 35, in the footer.
    assert by_agency[world.police.name][f"{first.code}. {first.title}"] == "70.0"
    assert by_agency[world.health.name]["Overall"] == "0.0"
    assert by_agency["Partnership (mean of agencies)"]["Overall"] == (f"{scores.partnership:.1f}")
    [event] = audit_events(session, "export_created")
    assert event.data["kind"] == "heat_map_csv" and event.data["rows"] == {"Heat map": 2}
    link = client.soup(f"{url}/dashboard").find("a", string="Download the heat map (CSV)")
    assert link["href"] == f"{url}/heat-map.csv"


@pytest.mark.parametrize("sort", ["agency", "sector", "score"])
def test_heat_map_csv_lists_agencies_in_the_pages_order(
    pqa_client, world, session, scored_cycle, sort
):
    """The police score 70 and health 0; a third agency with nothing answered comes first
    by name and by sector, and last by score (lowest first, unscored last)."""
    extra = make_unscored_agency(session, world, scored_cycle)
    url = f"/p/{world.partnership.slug}/pqa/cycles/{scored_cycle.id}"
    query = "" if sort == "agency" else f"?sort={sort}"
    soup = pqa_client.soup(f"{url}/dashboard{query}")
    on_page = [
        row.find("th").get_text(strip=True) for row in soup.select("table.app-heat-map tbody tr")
    ]
    link = soup.find("a", string=lambda text: text and text.startswith("Download the heat map"))
    assert link["href"] == f"{url}/heat-map.csv{query}"

    rows = read_csv(pqa_client.get(link["href"]))
    in_csv = [r["Agency"] for r in rows if r["Agency"] != "Partnership (mean of agencies)"]
    assert in_csv == on_page
    expected = {
        "agency": [extra.name, world.health.name, world.police.name],
        "sector": [extra.name, world.health.name, world.police.name],
        "score": [world.health.name, world.police.name, extra.name],
    }
    assert in_csv == expected[sort]
    [event] = audit_events(session, "export_created")
    assert event.data["filters"] == ({} if sort == "agency" else {"sort": sort})


def make_unscored_agency(session, world, cycle):
    """An agency added to the cycle with nothing answered, named to sort first."""
    agency = create_agency(
        session,
        partnership=world.partnership,
        name="Aardvark Academy",
        sector=Sector.EDUCATION,
        by=world.pqa,
    )
    # As `cycles.create_cycle` gives every agency of the partnership a return.
    session.add(Assessment(cycle=cycle, agency=agency.agency, status=AssessmentStatus.NOT_STARTED))
    session.flush()
    return agency.agency


def test_heat_map_csv_refuses_an_unknown_order(pqa_client, world, scored_cycle):
    url = f"/p/{world.partnership.slug}/pqa/cycles/{scored_cycle.id}"
    assert pqa_client.get(f"{url}/heat-map.csv?sort=shoe-size").status_code == 400


def test_flags_csv_keeps_the_pages_filters(pqa_client, world, session, scored_cycle):
    url = f"/p/{world.partnership.slug}/pqa/cycles/{scored_cycle.id}"
    data = dashboard.load_cycle_data(session, scored_cycle)
    every = dashboard.cycle_flags(data, today=TODAY)
    rows = read_csv(pqa_client.get(f"{url}/flags.csv"))
    assert len(rows) == len(every) > 0
    police = [f for f in every if f.agency_id == world.police.id]
    high = [f for f in police if f.severity is Severity.HIGH]
    query = f"agency={world.police.id}&severity=high&kind="
    rows = read_csv(pqa_client.get(f"{url}/flags.csv?{query}"))
    assert len(rows) == len(high) > 0
    assert {r["Agency"] for r in rows} == {world.police.name}
    assert {r["Severity"] for r in rows} == {"High"}
    events = audit_events(session, "export_created")
    assert events[1].data["filters"] == {"agency": world.police.name, "severity": "High"}
    assert events[1].data["rows"] == {"Flags": len(high)}
    assert pqa_client.get(f"{url}/flags.csv?standard=nope").status_code == 400
    assert len(audit_events(session, "export_created")) == 2
    soup = pqa_client.soup(f"{url}/flags?agency={world.police.id}&severity=high")
    link = soup.find("a", string="Download these flags (CSV)")
    assert link["href"] == f"{url}/flags.csv?agency={world.police.id}&severity=high"


# ---------------------------------------------------------------------------------------
# The case round analysis tables


@pytest.fixture
def analysed(make, world, session):
    """One case, due yesterday: police grade recognition Good, health Inadequate
    (divergent), both in today (late); judged and with learning, so the analysis page
    shows every table."""
    audit_round = make.case_round(
        world.partnership, [[world.police, world.health]], due_on=TODAY - timedelta(days=1)
    )
    case = audit_round.cases[0]
    for case_return, grade in zip(
        sorted(case.returns, key=lambda r: r.agency.name), ["inadequate", "good"], strict=True
    ):
        section = audit_round.template_version.sections[0]
        page = SectionReturn(case_return=case_return, section=section)
        page.answers.append(CaseAnswer(question=section.questions[0], answer=grade))
        session.add(page)
        case_return.status = CaseReturnStatus.SUBMITTED
        case_return.submitted_at = utcnow()
    section = audit_round.template_version.sections[0]
    session.add_all(
        [
            CaseJudgement(case=case, section=section, grade="good", set_by=world.panel),
            LearningPoint(
                case=case, theme=LearningTheme.RECORDING, text="Record it", by_id=world.panel.id
            ),
        ]
    )
    session.flush()
    return audit_round


def test_every_analysis_table_downloads(pqa_client, world, session, analysed):
    url = f"/p/{world.partnership.slug}/pqa/case-rounds/{analysed.id}/analysis.csv"
    for name in ANALYSIS_TABLES:
        read_csv(pqa_client.get(f"{url}?table={name}"))
    rows = read_csv(pqa_client.get(f"{url}?table=grades-by-section"))
    assert rows[0] == {
        "Section": "Recognition",
        "Outstanding": "0",
        "Good": "1",
        "Requires improvement": "0",
        "Inadequate": "1",
        "Total": "2",
    }
    [divergent] = read_csv(pqa_client.get(f"{url}?table=divergent-questions"))
    assert divergent["Agencies' grades"] == (
        f"{world.health.name}: Inadequate; {world.police.name}: Good"
    )
    assert divergent["Spread (levels)"] == "2"
    kind = CaseFlagKind.DIVERGENT_GRADES
    rows = read_csv(pqa_client.get(f"{url}?table=flags&kind={kind.value}"))
    assert [r["Flag"] for r in rows] == [kind.label]
    events = audit_events(session, "export_created")
    assert len(events) == len(ANALYSIS_TABLES) + 3
    assert events[-1].data["filters"] == {"table": "flags", "kind": kind.label}
    assert events[-1].data["kind"] == "case_round_analysis_csv"
    assert events[-1].data["rows"] == {"Flags": 1}
    for bad in ("", "?table=nope", "?table=spread&kind=divergent_grades", "?table=flags&kind=x"):
        assert pqa_client.get(f"{url}{bad}").status_code == 400, bad
    assert len(audit_events(session, "export_created")) == len(events)


def test_the_analysis_page_links_each_table(panel_client, make, world, analysed):
    base = f"/p/{world.partnership.slug}/panel/case-rounds/{analysed.id}"
    soup = panel_client.soup(f"{base}/analysis")
    links = {a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith(f"{base}/")}
    for name in ANALYSIS_TABLES:
        assert f"{base}/analysis.csv?table={name}" in links, name
    assert f"{base}/workbook.xlsx" in links
    read_csv(panel_client.get(f"{base}/analysis.csv?table=trend"))
    draft = make.case_round(world.partnership, [[world.police]], status=RoundStatus.DRAFT)
    draft_url = f"/p/{world.partnership.slug}/panel/case-rounds/{draft.id}/analysis.csv"
    assert panel_client.get(f"{draft_url}?table=trend").status_code == 404
