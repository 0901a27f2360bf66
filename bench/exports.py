"""Benchmark: the PQA cycle workbook at 400 agencies by 60 criteria, against bare XlsxWriter
writing the same cells in the same run, and its peak memory at two sizes.

    .venv/bin/python -m bench.exports [--agencies 400] [--small 100] [--repeat 3]

The floor: the export is run once with XlsxWriter's worksheet methods recorded, then
those exact calls (every string, number and date with its format, the column widths,
filters and frozen panes) are replayed on a bare `xlsxwriter.Workbook` opened with the
same options (`constant_memory`, conversions off). The export is measured whole, from
the database to the closed file: loading, scoring, flags, row building and writing.
The floor leaves out the Summary chart and the heat map's conditional formats (a few
dozen objects) and starts with every cell already in memory.

Memory: tracemalloc's peak during the export (Python allocations; XlsxWriter streams
rows to temporary files), at `--small` and `--agencies` agencies, in runs of their own.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from xlsxwriter.worksheet import Worksheet

from audit_tool import create_app, migrate
from audit_tool.exports.cells import WORKBOOK_OPTIONS
from audit_tool.exports.s11_workbook import build_cycle_workbook
from audit_tool.frameworks.format import parse_framework, parse_scales
from audit_tool.frameworks.library import BUILTIN_DIR, import_framework, publish
from audit_tool.models import (
    Action,
    ActionSource,
    ActionStatus,
    AssessmentStatus,
    AuditCycle,
    CriterionResponse,
    EvidenceItem,
    Sector,
    utcnow,
)
from audit_tool.services import agencies, cycles, partnerships
from audit_tool.services.exports import load_cycle_export

CRITERIA = 60
ACTION = "Refresh the training and audit again in six months"
PARAGRAPHS = [
    "The safeguarding policy was reviewed by the board in March and reissued to all staff "
    "with a briefing; completion of the briefing is tracked by the training team. ",
    "Supervision records sampled in the quarterly audit show safeguarding discussed in "
    "nine of ten sessions, with actions followed up at the next session. ",
    "The designated lead meets the partnership's quality assurance group every quarter and "
    "brings learning back to team meetings, recorded in the minutes. ",
    "Staff survey results show most staff know how to escalate a concern and who the lead "
    "is; the remainder are being followed up by their managers. ",
]


def framework_json() -> str:
    """The nine-standards framework grown to 60 criteria: extra criteria are added to
    its standards in turn, worded like the built-in ones."""
    data = json.loads((BUILTIN_DIR / "s11-nine-standards.json").read_text(encoding="utf-8"))
    data["key"] = "bench-sixty"
    data["name"] = "Bench framework, 60 criteria"
    standards = data["standards"]
    n = sum(len(s["criteria"]) for s in standards)
    extra = 0
    while n < CRITERIA:
        standard = standards[extra % len(standards)]
        template = standard["criteria"][0]
        number = len(standard["criteria"]) + 1
        standard["criteria"].append(
            {
                **template,
                "key": f"{standard['key']}-X{extra:02d}",
                "code": f"{standard['code']}.{number}",
                "title": f"{template['title']} (further criterion {extra + 1})",
                "essential": False,
            }
        )
        n += 1
        extra += 1
    return json.dumps(data)


def seed(session: Session, n_agencies: int) -> tuple[int, int, int]:
    """A partnership of `n_agencies` with one open cycle, every return submitted with
    text in every answer and an evidence item on every third criterion. Returns the
    cycle's id and the numbers of answers and evidence items."""
    scales = parse_scales((BUILTIN_DIR / "scales.json").read_text(encoding="utf-8"))
    spec = parse_framework(framework_json(), scales=scales)
    version = import_framework(session, spec=spec, by=None, source="bench")
    publish(session, version=version, partnership=None, by=None)
    partnership = partnerships.create_partnership(
        session, name="Bench partnership", slug="bench", contact_email=None, by=None
    )
    sectors = list(Sector)
    for n in range(n_agencies):
        agencies.create_agency(
            session, partnership=partnership, name=f"Agency {n:04d}", sector=sectors[n % 8], by=None
        )
    today = utcnow().date()
    cycle = cycles.create_cycle(
        session,
        partnership=partnership,
        name="Bench cycle",
        framework_version=version,
        opens_on=today - timedelta(days=30),
        due_on=today + timedelta(days=60),
        panel_from=None,
        panel_to=None,
        sectors=None,
        by=None,
    )
    cycles.open_cycle(session, cycle=cycle, by=None)
    session.flush()
    rng = random.Random(n_agencies)
    levels = list(version.levels)
    criteria = [c for s in version.standards for c in s.criteria]
    assert len(criteria) == CRITERIA
    now = utcnow()
    rows = []
    for assessment in cycle.assessments:
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = now
        for criterion in criteria:
            level = rng.choice(levels)
            action = level.needs_action
            rows.append(
                {
                    "assessment_id": assessment.id,
                    "criterion_id": criterion.id,
                    "level_id": level.id,
                    "not_applicable": False,
                    "evidence": "".join(rng.sample(PARAGRAPHS, 3)),
                    "impact": rng.choice(PARAGRAPHS),
                    "improvement": rng.choice(PARAGRAPHS) if action else "",
                    "action": ACTION if action else "",
                    "action_owner": "Head of Safeguarding" if action else "",
                    "action_due": today + timedelta(days=90) if action else None,
                    "review_needed": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    session.execute(insert(CriterionResponse), rows)
    ids = session.execute(
        select(CriterionResponse.id, CriterionResponse.criterion_id).where(
            CriterionResponse.assessment_id.in_([a.id for a in cycle.assessments])
        )
    ).all()
    thirds = {c.id for c in criteria[::3]}
    items = [
        {
            "response_id": response_id,
            "title": "Safeguarding policy, version 4",
            "reference": "Intranet > Policies > Safeguarding",
            "effective_on": today - timedelta(days=200),
            "review_on": today + timedelta(days=165),
            "created_at": now,
            "updated_at": now,
        }
        for response_id, criterion_id in ids
        if criterion_id in thirds
    ]
    session.execute(insert(EvidenceItem), items)
    # The actions submission would have put on the tracker, one per answer with one.
    agency_of = {a.id: a.agency_id for a in cycle.assessments}
    actions = [
        {
            "partnership_id": partnership.id,
            "agency_id": agency_of[row["assessment_id"]],
            "source": ActionSource.RETURN,
            "assessment_id": row["assessment_id"],
            "criterion_id": row["criterion_id"],
            "description": row["action"],
            "owner": row["action_owner"],
            "due_on": row["action_due"],
            "status": ActionStatus.OPEN,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
        if row["action"]
    ]
    session.execute(insert(Action), actions)
    session.commit()
    return cycle.id, len(rows), len(items)


def export(engine, cycle_id: int, target: str) -> dict[str, int]:
    with Session(engine) as session:
        return build_cycle_workbook(
            session,
            cycle=session.get(AuditCycle, cycle_id),
            by=None,
            target=target,
            essential_weight=1.0,
            today=date.today(),
            now=datetime.now(),
        )


# ---------------------------------------------------------------------------------------
# The floor: the same calls on a bare workbook

RECORDED = ("write_string", "write_number", "write_datetime")
LAYOUT = ("set_column", "autofilter", "freeze_panes")


@contextmanager
def recording():
    """Record every cell and layout call the export makes on its worksheets, and the
    properties of each format it creates."""
    calls: list[tuple] = []
    originals = {name: getattr(Worksheet, name) for name in RECORDED + LAYOUT}
    add_format = xlsxwriter.Workbook.add_format

    def recorder(name):
        original = originals[name]

        def record(self, *args):
            calls.append((self.name, name, args))
            return original(self, *args)

        return record

    def recording_add_format(self, properties=None):
        fmt = add_format(self, properties)
        fmt.bench_properties = dict(properties or {})
        return fmt

    for name in originals:
        setattr(Worksheet, name, recorder(name))
    xlsxwriter.Workbook.add_format = recording_add_format
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(Worksheet, name, original)
        xlsxwriter.Workbook.add_format = add_format


def prepare_floor(calls: list[tuple]):
    """The recorded calls by sheet, formats as property dicts: what a hand-written
    exporter would hold before writing."""
    sheets: dict[str, list[tuple]] = {}
    for sheet, name, args in calls:
        args = list(args)
        if name in RECORDED and len(args) > 3 and args[3] is not None:
            args[3] = json.dumps(args[3].bench_properties, sort_keys=True)
        if name == "set_column" and len(args) > 3 and args[3] is not None:
            args[3] = json.dumps(args[3].bench_properties, sort_keys=True)
        sheets.setdefault(sheet, []).append((name, tuple(args)))
    return sheets


def floor(sheets, target: str) -> None:
    book = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    formats: dict[str, object] = {}

    def fmt(key):
        if key is None:
            return None
        if key not in formats:
            formats[key] = book.add_format(json.loads(key))
        return formats[key]

    for sheet, calls in sheets.items():
        ws = book.add_worksheet(sheet)
        write_string, write_number, write_datetime = (
            ws.write_string,
            ws.write_number,
            ws.write_datetime,
        )
        for name, args in calls:
            if name == "write_string":
                write_string(args[0], args[1], args[2], fmt(args[3]) if len(args) > 3 else None)
            elif name == "write_number":
                write_number(args[0], args[1], args[2], fmt(args[3]) if len(args) > 3 else None)
            elif name == "write_datetime":
                write_datetime(args[0], args[1], args[2], fmt(args[3]) if len(args) > 3 else None)
            else:
                getattr(ws, name)(*args)
    book.close()


def paired(export_run, floor_run, repeat: int) -> dict:
    """Run the export and the floor alternately, `repeat` times each, and take medians.
    CPU time (this process only) is the headline: the machines this runs on are shared,
    and other work there stretches wall time unevenly. Wall time is reported too."""
    cpu: dict[str, list[float]] = {"export": [], "floor": []}
    wall: dict[str, list[float]] = {"export": [], "floor": []}
    for _ in range(repeat):
        for name, run in (("export", export_run), ("floor", floor_run)):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            run()
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start_wall)
    found = {
        "export_cpu_s": statistics.median(cpu["export"]),
        "floor_cpu_s": statistics.median(cpu["floor"]),
        "export_wall_s": statistics.median(wall["export"]),
        "floor_wall_s": statistics.median(wall["floor"]),
    }
    found["export_vs_floor_cpu"] = found["export_cpu_s"] / found["floor_cpu_s"]
    found["export_vs_floor_wall"] = found["export_wall_s"] / found["floor_wall_s"]
    return found


def peak_mib(fn) -> tuple[float, float]:
    """(memory still held after `fn`, peak during it), in MiB, by tracemalloc."""
    tracemalloc.start()
    result = fn()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return current / 2**20, peak / 2**20


def load(engine, cycle_id: int):
    with Session(engine) as session:
        return load_cycle_export(
            session,
            cycle=session.get(AuditCycle, cycle_id),
            by=None,
            essential_weight=1.0,
            today=date.today(),
            now=datetime.now(),
        )


def measure(n_agencies: int, repeat: int, *, ratio: bool) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        app = create_app({"ENVIRONMENT": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
        engine = app.extensions["database"].engine
        migrate.upgrade(engine)
        with Session(engine) as session:
            cycle_id, answers, items = seed(session, n_agencies)
        out = str(folder / "export.xlsx")
        export(engine, cycle_id, out)  # warm up the connection pool and caches

        rows = export(engine, cycle_id, out)
        # What scoring and flagging hold (as the heat map does), then the whole export.
        facts, _ = peak_mib(lambda: load(engine, cycle_id))
        _, peak = peak_mib(lambda: export(engine, cycle_id, out))
        results = {
            "agencies": n_agencies,
            "criteria": CRITERIA,
            "answers": answers,
            "evidence_items": items,
            "rows": rows,
            "file_mib": Path(out).stat().st_size / 2**20,
            "scored_facts_mib": facts,
            "export_peak_mib": peak,
            "writing_mib": peak - facts,
        }
        if ratio:
            with recording() as calls:
                export(engine, cycle_id, out)
            sheets = prepare_floor(calls)
            cells = sum(1 for _, name, _ in calls if name in RECORDED)
            text = sum(len(args[2]) for _, name, args in calls if name == "write_string")
            floor_out = str(folder / "floor.xlsx")
            results |= {
                "cells": cells,
                "text_written_mib": text / 2**20,
                **paired(
                    lambda: export(engine, cycle_id, out),
                    lambda: floor(sheets, floor_out),
                    repeat,
                ),
            }
        engine.dispose()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=400)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    small = measure(args.small, args.repeat, ratio=False)
    large = measure(args.agencies, args.repeat, ratio=True)
    results = {
        **large,
        "small": small,
        "data_growth": large["answers"] / small["answers"],
        "peak_growth": large["export_peak_mib"] / small["export_peak_mib"],
        "writing_growth": large["writing_mib"] / small["writing_mib"],
    }
    print(json.dumps(results, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "exports.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
