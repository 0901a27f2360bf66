"""Benchmark: the PQA heat map at London scale, as ratios against floors measured in the
same run on the same data.

    .venv/bin/python -m bench.dashboard [--engine sqlite] [--engine postgresql]
        [--scale london|large] [--repeat 9]

Data: a new database filled by `bench-seed` (default: the issue's London scale, 32
partnerships of 150 agencies and one of 400, 60 criteria, two cycles each). Measured on
the 400-agency partnership's open cycle: about 21,000 answers with evidence text, a
closed cycle before it, panels that moderated some ratings, evidence items and actions.
Its own database, rather than bench/dashboard's earlier single-cycle one, because the
heat map's cost depends on what a real deployment holds around the cycle: last cycle's
answers (the trend, the decline rule), other partnerships' rows in the same tables.

Floors: (1) the raw SQL fetching every rated answer of the cycle (4 joins); (2) the mean
score per agency and standard, done entirely in SQL. Measured: the heat map's data for
its first page as it opens (`services.heat_map.load_heat_map`: every agency's scores,
own and moderated, and the flag counts of the 50 agencies shown), the same in "lowest
score first" order, the same with the trend, the whole page through Flask signed in as
PQA; and for comparison the data with every agency on one page (as the page was before
it was paged), the trend the first time a process shows it (later views find the closed
cycle's scores kept), and the per-answer path the flags page and the API use. Runs are
interleaved (each measure once per round) and the median kept; ratios, not seconds, are
the result, as the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit_tool.bench_seed import LARGE_SLUG
from audit_tool.flags import flags_for
from audit_tool.models import (
    Assessment,
    AuditCycle,
    Criterion,
    CriterionResponse,
    ScaleLevel,
    Standard,
)
from audit_tool.scoring import summarise
from audit_tool.services import dashboard, heat_map

from . import servers
from .seeded import ENGINES, PASSWORD, SCALES, cpu_model, seeded

GOALS = {"data_vs_sql_aggregate": 1.5, "page_vs_sql_aggregate": 3.0}


def measure(target, *, repeat: int) -> dict:
    app = target.app
    engine = app.extensions["database"].engine
    cycle_id = target.cycle_id(LARGE_SLUG)
    today = date.today()
    joined = (
        select(Assessment.agency_id)
        .join(CriterionResponse, CriterionResponse.assessment_id == Assessment.id)
        .join(Criterion, Criterion.id == CriterionResponse.criterion_id)
        .join(Standard, Standard.id == Criterion.standard_id)
        .join(ScaleLevel, ScaleLevel.id == CriterionResponse.level_id)
        .where(Assessment.cycle_id == cycle_id)
    )
    raw = joined.add_columns(Criterion.key, Standard.key, ScaleLevel.score)
    aggregate = joined.add_columns(Standard.key, func.avg(ScaleLevel.score)).group_by(
        Assessment.agency_id, Standard.key
    )

    def floor_rows():
        with Session(engine) as session:
            session.execute(raw).all()

    def floor_aggregate():
        with Session(engine) as session:
            session.execute(aggregate).all()

    def heat_map_data(order=heat_map.Order.AGENCY, per_page=heat_map.PER_PAGE):
        with Session(engine) as session:
            cycle = session.get(AuditCycle, cycle_id)
            return heat_map.load_heat_map(
                session, cycle, essential_weight=1.0, today=today, order=order, per_page=per_page
            )

    def heat_map_data_and_trend():
        with Session(engine) as session:
            cycle = session.get(AuditCycle, cycle_id)
            found = heat_map.load_heat_map(session, cycle, essential_weight=1.0, today=today)
            heat_map.trend(session, found, essential_weight=1.0)

    def trend_first_time():
        # As in a process that has not shown this heat map yet: nothing kept.
        heat_map._CLOSED_SCORES = heat_map._LeastRecentlyUsed(512)
        with Session(engine) as session:
            cycle = session.get(AuditCycle, cycle_id)
            found = heat_map.load_heat_map(session, cycle, essential_weight=1.0, today=today)
            start = time.perf_counter()
            heat_map.trend(session, found, essential_weight=1.0)
            return time.perf_counter() - start

    def per_answer_path():
        with Session(engine) as session:
            data = dashboard.load_cycle_data(session, session.get(AuditCycle, cycle_id))
            summarise(data.answers)
            flags_for(data.facts, data.returns, today=today)

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post(
        "/login",
        data={"email": f"pqa@{LARGE_SLUG}.example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302, "sign-in failed"
    url = f"/p/{LARGE_SLUG}/pqa/cycles/{cycle_id}/dashboard"

    def whole_page():
        response = client.get(url)
        assert response.status_code == 200

    measures = {
        "floor_rows_s": floor_rows,
        "floor_sql_aggregate_s": floor_aggregate,
        "heat_map_data_s": heat_map_data,
        "heat_map_data_lowest_first_s": lambda: heat_map_data(order=heat_map.Order.SCORE),
        "heat_map_data_and_trend_s": heat_map_data_and_trend,
        "heat_map_page_s": whole_page,
        "heat_map_all_agencies_s": lambda: heat_map_data(per_page=10_000),
        "per_answer_path_s": per_answer_path,
    }
    samples: dict[str, list[float]] = {name: [] for name in [*measures, "trend_first_time_s"]}
    for fn in measures.values():
        fn()  # warm caches and the connection pool
    trend_first_time()
    for _ in range(repeat):
        for name, fn in measures.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
        samples["trend_first_time_s"].append(trend_first_time())
    with Session(engine) as session:
        answers = session.scalar(
            select(func.count())
            .select_from(CriterionResponse)
            .join(Assessment)
            .where(Assessment.cycle_id == cycle_id)
        )
        agencies = session.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.cycle_id == cycle_id)
        )
    results = {
        "agencies": agencies,
        "answers": answers,
        "seed_s": round(target.seconds, 1),
        **target.versions(),
        **{name: statistics.median(values) for name, values in samples.items()},
    }
    floor = results["floor_sql_aggregate_s"]
    results["data_vs_sql_aggregate"] = results["heat_map_data_s"] / floor
    results["data_and_trend_vs_sql_aggregate"] = results["heat_map_data_and_trend_s"] / floor
    results["data_vs_raw_rows"] = results["heat_map_data_s"] / results["floor_rows_s"]
    results["data_lowest_first_vs_sql_aggregate"] = results["heat_map_data_lowest_first_s"] / floor
    results["page_vs_sql_aggregate"] = results["heat_map_page_s"] / floor
    results["all_agencies_vs_sql_aggregate"] = results["heat_map_all_agencies_s"] / floor
    results["trend_first_time_vs_sql_aggregate"] = results["trend_first_time_s"] / floor
    results["per_answer_path_vs_sql_aggregate"] = results["per_answer_path_s"] / floor
    return results


def report(engine: str, results: dict) -> None:
    print(
        f"-- {engine} ({results['database']}): {results['agencies']} agencies, "
        f"{results['answers']:,} answers; floor (SQL aggregate) "
        f"{results['floor_sql_aggregate_s'] * 1000:.1f} ms"
    )
    for key in (
        "data_vs_sql_aggregate",
        "data_lowest_first_vs_sql_aggregate",
        "data_and_trend_vs_sql_aggregate",
        "page_vs_sql_aggregate",
        "data_vs_raw_rows",
        "all_agencies_vs_sql_aggregate",
        "trend_first_time_vs_sql_aggregate",
        "per_answer_path_vs_sql_aggregate",
    ):
        goal = GOALS.get(key)
        verdict = (
            ""
            if goal is None
            else f"  goal <= {goal}x: {'met' if results[key] <= goal else 'NOT met'}"
        )
        print(f"   {key:<36} {results[key]:6.2f}x{verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", action="append", choices=ENGINES)
    parser.add_argument("--scale", choices=sorted(SCALES), default="london")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "scale": args.scale}
    print(f"   machine: {machine['cpu']}, {machine['cores']} cores; scale: {args.scale}")
    all_results: dict[str, dict] = {"machine": machine}
    for engine in args.engine or ENGINES:
        try:
            with seeded(engine, SCALES[args.scale]) as target:
                results = measure(target, repeat=args.repeat)
        except servers.Unavailable as reason:
            print(f"-- {engine}: SKIPPED: {reason}")
            all_results[engine] = {"skipped": str(reason)}
            continue
        report(engine, results)
        all_results[engine] = results
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "dashboard.json").write_text(json.dumps(all_results, indent=2) + "\n")


if __name__ == "__main__":
    main()
