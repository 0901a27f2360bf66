"""Spreadsheet formula injection, end to end: payloads typed into the real forms (a
Section 11 answer, an evidence item, a panel challenge and the agency's answer, an agreed
action and its progress note, a case-audit answer, learning, a judgement and a concern)
come out of every workbook and CSV download as plain text, never as a formula, a number
or a link.

Each workbook is unzipped and its sheet XML read directly, as a spreadsheet would read
it: no formula element anywhere (no workbook here writes one), no hyperlink, and each
payload present as a literal string cell."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from audit_tool import clock
from audit_tool.exports.case_analysis_rows import ANALYSIS_TABLES
from audit_tool.exports.csv_tables import FORMULA_TRIGGERS
from audit_tool.models import Action, Challenge
from audit_tool.services import assessments as svc
from audit_tool.services import panels

PAYLOADS = [
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "http://example.org/x",
]
SPREADSHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
LATER = clock.today() + timedelta(days=60)
DUE = [str(LATER.day), str(LATER.month), str(LATER.year)]


def _post(client, url: str, data: dict, *, action: str | None = None) -> None:
    """Post a page's form as a browser would (with its hidden fields), and insist it was
    saved: a payload refused by the form would prove nothing."""
    target = action or url
    form = next(
        f
        for f in client.soup(url).find_all("form", method="post")
        if f.get("action", url) in (target, "", None)
    )
    hidden = {i["name"]: i.get("value", "") for i in form.find_all("input", type="hidden")}
    response = client.post(target, data={**hidden, **data})
    assert response.status_code == 302, (url, response.get_data(as_text=True)[-2000:])


@pytest.fixture
def typed(make, world, session, agency_client, panel_client, pqa_client):
    """Every payload typed into every form that feeds an export."""
    slug = world.partnership.slug
    cycle = make.cycle(world.partnership)
    police = next(a for a in cycle.assessments if a.agency_id == world.police.id)
    base = f"/p/{slug}/agency/returns/{police.id}"
    agency_client.submit(f"{base}/", {})
    criteria = [e.criterion for s in svc.load_return(session, police).standards for e in s.entries]
    for criterion, payload in zip(criteria, PAYLOADS, strict=False):
        _post(
            agency_client,
            f"{base}/criteria/{criterion.id}",
            {
                "rating": "amber",
                "evidence": payload,
                "impact": payload,
                "improvement": payload,
                "action": payload,
                "action_owner": payload,
                "action_due": DUE,
                "then": "task-list",
            },
        )
        _post(
            agency_client,
            f"{base}/criteria/{criterion.id}/evidence/new",
            {"title": payload, "reference": payload},
        )

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
    session.flush()
    meeting = f"/p/{slug}/panel/panels/{panel.id}/agencies/{attendance.id}"
    for criterion, payload in zip(criteria, PAYLOADS, strict=False):
        _post(
            panel_client,
            f"{meeting}/challenges/new",
            {"about": f"c{criterion.id}", "question": payload},
        )
        _post(
            panel_client,
            f"{meeting}/actions/new",
            {"description": payload, "owner": payload, "due_on": DUE, "link": ""},
        )
    session.expire_all()
    challenges = session.scalars(
        select(Challenge).where(Challenge.panel_agency_id == attendance.id).order_by(Challenge.id)
    ).all()
    actions = session.scalars(
        select(Action).where(Action.panel_agency_id == attendance.id).order_by(Action.id)
    ).all()
    for challenge, action, payload in zip(challenges, actions, PAYLOADS, strict=True):
        _post(
            agency_client,
            f"/p/{slug}/agency/panels/{attendance.id}/challenges/{challenge.id}",
            {"response": payload},
        )
        _post(
            agency_client,
            f"/p/{slug}/agency/actions/{action.id}/progress",
            {"note": payload, "evidence_reference": payload},
        )

    audit_round = make.case_round(world.partnership, [[world.police, world.health]])
    case = audit_round.cases[0]
    case_base = f"/p/{slug}/agency/case-audits/{case.id}"
    slots = iter(PAYLOADS * 2)
    for section in audit_round.template_version.sections:
        data = {"then": "continue"}
        for question in section.questions:
            if question.kind.value == "graded":
                data[f"q{question.id}_answer"] = "good"
            elif question.kind.value == "yes_partly_no":
                data[f"q{question.id}_answer"] = "partly"
            data[f"q{question.id}_comment"] = next(slots)
        for name in ("good_practice", "development", "recommendations"):
            data[name] = next(slots)
        _post(agency_client, f"{case_base}/sections/{section.id}", data)
    meeting_base = f"/p/{slug}/pqa/cases/{case.id}"
    for payload in PAYLOADS:
        _post(pqa_client, f"{meeting_base}/learning", {"theme": "recording", "text": payload})
    first = audit_round.template_version.sections[0]
    _post(
        pqa_client,
        f"{meeting_base}/sections/{first.id}/judgement",
        {"grade": "good", "rationale": PAYLOADS[0]},
    )
    _post(pqa_client, f"{meeting_base}/overall", {"grade": "good", "rationale": PAYLOADS[1]})
    _post(
        pqa_client,
        f"{meeting_base}/concerns/new",
        {"description": PAYLOADS[2], "follow_up_by": PAYLOADS[3], "due_on": DUE},
    )
    _post(
        pqa_client,
        f"{meeting_base}/actions/new",
        {
            "agency": str(world.police.id),
            "description": PAYLOADS[4],
            "owner": PAYLOADS[5],
            "due_on": DUE,
        },
    )
    return cycle, police, audit_round


def _xml(data: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(data)  # noqa: S314 (a workbook this test just downloaded)


def strings_in_workbook(data: bytes) -> set[str]:
    """Every string cell of every sheet; fails on any formula or hyperlink."""
    found: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = _xml(archive.read("xl/sharedStrings.xml"))
            shared = [
                "".join(t.text or "" for t in si.iter(f"{SPREADSHEET}t"))
                for si in root.iter(f"{SPREADSHEET}si")
            ]
        sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            root = _xml(archive.read(name))
            assert not list(root.iter(f"{SPREADSHEET}f")), f"{name} has a formula"
            assert not list(root.iter(f"{SPREADSHEET}hyperlink")), f"{name} has a link"
            for cell in root.iter(f"{SPREADSHEET}c"):
                kind = cell.get("t")
                assert kind != "str", f"{name} {cell.get('r')} is a formula's result"
                if kind == "inlineStr":
                    found.add("".join(t.text or "" for t in cell.iter(f"{SPREADSHEET}t")))
                elif kind == "s":
                    found.add(shared[int(cell.find(f"{SPREADSHEET}v").text)])
        relationships = [n for n in names if n.startswith("xl/worksheets/_rels/")]
        for name in relationships:
            assert b"hyperlink" not in archive.read(name), f"{name} links somewhere"
    return found


def cells_in_csv(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_payloads_come_out_of_every_export_as_text(
    typed, world, pqa_client, panel_client, agency_client
):
    cycle, police, audit_round = typed
    slug = world.partnership.slug
    workbooks = {
        "cycle": pqa_client.get(f"/p/{slug}/pqa/cycles/{cycle.id}/workbook.xlsx"),
        "agency": agency_client.get(f"/p/{slug}/agency/returns/{police.id}/workbook.xlsx"),
        "round (PQA)": pqa_client.get(f"/p/{slug}/pqa/case-rounds/{audit_round.id}/workbook.xlsx"),
        "round (panel)": panel_client.get(
            f"/p/{slug}/panel/case-rounds/{audit_round.id}/workbook.xlsx"
        ),
    }
    for name, response in workbooks.items():
        assert response.status_code == 200, name
        strings = strings_in_workbook(response.data)
        missing = [p for p in PAYLOADS if p not in strings]
        assert missing == [], f"{name} workbook lacks {missing} as text"

    pqa = f"/p/{slug}/pqa"
    csvs = {
        "actions": pqa_client.get(f"{pqa}/actions.csv"),
        "returns": pqa_client.get(f"{pqa}/cycles/{cycle.id}/returns.csv"),
        "heat map": pqa_client.get(f"{pqa}/cycles/{cycle.id}/heat-map.csv"),
        "flags": pqa_client.get(f"{pqa}/cycles/{cycle.id}/flags.csv"),
        **{
            f"analysis {table}": pqa_client.get(
                f"{pqa}/case-rounds/{audit_round.id}/analysis.csv?table={table}"
            )
            for table in ANALYSIS_TABLES
        },
    }
    for name, response in csvs.items():
        cells = cells_in_csv(response)
        assert [c for c in cells if c.startswith(FORMULA_TRIGGERS)] == [], name
    actions = cells_in_csv(pqa_client.get(f"{pqa}/actions.csv"))
    for payload in PAYLOADS:
        expected = f"'{payload}" if payload.startswith(FORMULA_TRIGGERS) else payload
        assert expected in actions, payload
