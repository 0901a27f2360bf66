"""Benchmark: the PQA heat map at 400 agencies, as ratios against floors in the same run.

    .venv/bin/python -m bench.dashboard [--agencies 400] [--repeat 5]

Floors: (1) the raw SQL that fetches every scored answer of the cycle, (2) the same
aggregate (mean score per agency and standard) done entirely in SQL. Measured: the
dashboard's data work (load, score, flag) and the whole heat-map page through Flask.
Ratios, not seconds, are the result: the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from audit_tool import create_app, migrate
from audit_tool.frameworks.library import load_builtin
from audit_tool.models import (
    Assessment,
    AssessmentStatus,
    Criterion,
    CriterionResponse,
    Role,
    ScaleLevel,
    Sector,
    Standard,
    utcnow,
)
from audit_tool.services import agencies, cycles, dashboard, partnerships, users

PASSWORD = "bench-password-1"


def build(session: Session, n_agencies: int):
    versions = load_builtin(session)
    version = next(v for v in versions if v.framework.key == "s11-nine-standards")
    partnership = partnerships.create_partnership(
        session, name="Bench partnership", slug="bench", contact_email=None, by=None
    )
    pqa, _ = users.create_user(
        session, email="pqa@bench.example", name="PQA", password=PASSWORD, by=None
    )
    users.grant_role(
        session, user=pqa, partnership=partnership, role=Role.PQA_ADMIN, agency=None, by=None
    )
    sectors = list(Sector)
    for n in range(n_agencies):
        agencies.create_agency(
            session, partnership=partnership, name=f"Agency {n:04d}", sector=sectors[n % 8], by=None
        )
    cycle = cycles.create_cycle(
        session,
        partnership=partnership,
        name="Bench cycle",
        framework_version=version,
        opens_on=utcnow().date(),
        due_on=utcnow().date().replace(year=utcnow().year + 1),
        panel_from=None,
        panel_to=None,
        sectors=None,
        by=None,
    )
    cycles.open_cycle(session, cycle=cycle, by=None)
    session.flush()
    rng = random.Random(400)
    levels = list(version.levels)
    criteria = [c for s in version.standards for c in s.criteria]
    rows = []
    for assessment in cycle.assessments:
        assessment.status = AssessmentStatus.SUBMITTED
        for criterion in criteria:
            level = rng.choice(levels)
            rows.append(
                {
                    "assessment_id": assessment.id,
                    "criterion_id": criterion.id,
                    "level_id": level.id,
                    "not_applicable": False,
                    "evidence": "Policy reviewed and audited. " * 8,
                    "impact": "Audits show it works." * 4,
                    "improvement": "",
                    "action": "Improve" if level.needs_action else "",
                    "action_owner": "Head of Safeguarding" if level.needs_action else "",
                    "action_due": None,
                    "review_needed": False,
                    "version": 1,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
            )
    session.execute(insert(CriterionResponse), rows)
    session.commit()
    return cycle, len(rows)


def timed(fn, repeat: int) -> float:
    fn()  # warm up caches and the connection pool
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        app = create_app({"ENVIRONMENT": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url})
        engine = app.extensions["database"].engine
        migrate.upgrade(engine)
        with Session(engine) as session:
            cycle, answers = build(session, args.agencies)
            cycle_id = cycle.id

        raw = (
            select(Assessment.agency_id, Criterion.key, Standard.key, ScaleLevel.score)
            .join(CriterionResponse, CriterionResponse.assessment_id == Assessment.id)
            .join(Criterion, Criterion.id == CriterionResponse.criterion_id)
            .join(Standard, Standard.id == Criterion.standard_id)
            .join(ScaleLevel, ScaleLevel.id == CriterionResponse.level_id)
            .where(Assessment.cycle_id == cycle_id)
        )
        aggregate = (
            select(Assessment.agency_id, Standard.key, func.avg(ScaleLevel.score))
            .join(CriterionResponse, CriterionResponse.assessment_id == Assessment.id)
            .join(Criterion, Criterion.id == CriterionResponse.criterion_id)
            .join(Standard, Standard.id == Criterion.standard_id)
            .join(ScaleLevel, ScaleLevel.id == CriterionResponse.level_id)
            .where(Assessment.cycle_id == cycle_id)
            .group_by(Assessment.agency_id, Standard.key)
        )

        def floor_rows():
            with Session(engine) as session:
                session.execute(raw).all()

        def floor_aggregate():
            with Session(engine) as session:
                session.execute(aggregate).all()

        def heat_map_data():
            with Session(engine) as session:
                from audit_tool.models import AuditCycle

                data = dashboard.load_cycle_data(session, session.get(AuditCycle, cycle_id))
                dashboard.score_table(data)
                dashboard.cycle_flags(data, today=utcnow().date())

        client = app.test_client()
        with client:
            page = client.get("/login")
            token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
            client.post(
                "/login",
                data={
                    "email": "pqa@bench.example",
                    "password": PASSWORD,
                    "csrf_token": token.split('"')[0],
                },
            )

            def whole_page():
                response = client.get(f"/p/bench/pqa/cycles/{cycle_id}/dashboard")
                assert response.status_code == 200

            results = {
                "agencies": args.agencies,
                "answers": answers,
                "floor_rows_s": timed(floor_rows, args.repeat),
                "floor_sql_aggregate_s": timed(floor_aggregate, args.repeat),
                "heat_map_data_s": timed(heat_map_data, args.repeat),
                "heat_map_page_s": timed(whole_page, args.repeat),
            }
        with engine.connect() as connection:
            results["sqlite"] = connection.execute(text("select sqlite_version()")).scalar()
        results["data_vs_sql_aggregate"] = (
            results["heat_map_data_s"] / results["floor_sql_aggregate_s"]
        )
        results["data_vs_raw_rows"] = results["heat_map_data_s"] / results["floor_rows_s"]
        results["page_vs_sql_aggregate"] = (
            results["heat_map_page_s"] / results["floor_sql_aggregate_s"]
        )
        engine.dispose()
    print(json.dumps(results, indent=2))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
