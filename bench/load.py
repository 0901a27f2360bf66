"""Benchmark: agency leads saving answers while the PQA officer opens the heat map,
against gunicorn on loopback, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.load [--leads 50] [--colleagues 1] [--seconds 60]
        [--workers 4] [--threads 1] [--think 0.5] [--max-requests 100000]
        [--engine sqlite] [--engine postgresql]

Each engine gets a fresh database (a SQLite file in a temporary directory; a PostgreSQL
server this benchmark starts and stops itself, skipped with a message if it cannot),
migrated as `flask --app wsgi init-db` does and seeded with one partnership, an agency
for each lead (or for each `--colleagues` leads, who then share its return), an open
Section 11 cycle and a PQA account. gunicorn serves it with production settings while
bench/load_client.py drives it.

The goals, each zero (the exit status is non-zero if any is missed): errors (a 5xx or
no answer), "database is locked" (in gunicorn's log or any response), lost updates
(every save the server acknowledged is in the database: the answer holds that save or a
later one by the same lead, and the audit trail records it), conflict pages (a lead's
own saves, one after another, must never conflict), anything else unexpected. Latency
(p50, p95, p99) per request type, as the client saw it and inside the gunicorn worker,
and throughput are reported, with p95 ratios against the floor timed in the same run: a
static asset and the sign-in page, neither of which touches the database.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from audit_tool import PROJECT_ROOT, migrate
from audit_tool.audit_trail import AuditEventType
from audit_tool.db import build_engine
from audit_tool.frameworks.library import load_builtin
from audit_tool.models import AuditEvent, CriterionResponse, Role, Sector, utcnow
from audit_tool.services import agencies, cycles, partnerships, users
from audit_tool.services.assessments import load_return

from . import servers
from .load_client import (
    EVIDENCE,
    REQUEST_TIMEOUT_S,
    SIGN_IN_TIMEOUT_S,
    Lead,
    Plan,
    Sample,
    Save,
    run_lead,
    run_pqa,
    run_probe,
)

PASSWORD = "load-bench-password"
SLUG = "load"
PQA_EMAIL = "pqa@load.example"
ENGINES = ("sqlite", "postgresql")
# Request types in the order the report lists them; the last two are the floor.
KINDS = (
    "save",
    "criterion page",
    "task list",
    "heat map",
    "sign in",
    "sign-in page",
    "static asset",
    "login page",
)
ZERO_GOALS = (
    "errors",
    "database_is_locked",
    "lost_updates",
    "missing_from_audit_trail",
    "conflicts",
    "unexpected",
    "server_log_errors",
)


@dataclass
class Scenario:
    leads: list[Lead]
    dashboard_path: str
    assessment_leads: dict[int, set[int]]  # assessment id -> its leads' numbers
    partnership_id: int


def prepare(database_url: str, n_leads: int, colleagues: int = 1) -> Scenario:
    """Migrate an empty database and seed the partnership the load runs against: an
    agency for every `colleagues` leads. Colleagues share their agency's return and
    take its criteria in turn, so their saves queue on the same return's lock but a
    lead's answers are only ever its own."""
    engine = build_engine(database_url)
    migrate.upgrade(engine)
    with Session(engine) as session:
        versions = load_builtin(session)
        version = next(v for v in versions if v.framework.key == "s11-nine-standards")
        partnership = partnerships.create_partnership(
            session, name="Load partnership", slug=SLUG, contact_email=None, by=None
        )
        pqa, _ = users.create_user(session, email=PQA_EMAIL, name="PQA", password=PASSWORD, by=None)
        users.grant_role(
            session, user=pqa, partnership=partnership, role=Role.PQA_ADMIN, agency=None, by=None
        )
        sectors = list(Sector)
        team: dict[int, list[tuple[int, str]]] = defaultdict(list)  # agency id -> leads
        for n in range(n_leads):
            if n % colleagues == 0:
                agency = agencies.create_agency(
                    session,
                    partnership=partnership,
                    name=f"Agency {n // colleagues:03d}",
                    sector=sectors[n // colleagues % len(sectors)],
                    by=None,
                ).agency
            email = f"lead{n}@load.example"
            lead, _ = users.create_user(
                session, email=email, name=f"Lead {n}", password=PASSWORD, by=None
            )
            users.grant_role(
                session,
                user=lead,
                partnership=partnership,
                role=Role.AGENCY_LEAD,
                agency=agency,
                by=None,
            )
            team[agency.id].append((n, email))
        today = utcnow().date()
        cycle = cycles.create_cycle(
            session,
            partnership=partnership,
            name="Load cycle",
            framework_version=version,
            opens_on=today,
            due_on=today.replace(year=today.year + 1),
            panel_from=None,
            panel_to=None,
            sectors=None,
            by=None,
        )
        cycles.open_cycle(session, cycle=cycle, by=None)
        session.flush()
        leads, assessment_leads = [], {}
        for assessment in cycle.assessments:
            contents = load_return(session, assessment)
            ids = [e.criterion.id for s in contents.standards for e in s.entries]
            following = dict(zip(ids, [*ids[1:], None], strict=True))
            members = team[assessment.agency_id]
            for turn, (number, email) in enumerate(members):
                mine = ids[turn :: len(members)]
                leads.append(
                    Lead(
                        email=email,
                        number=number,
                        assessment_path=f"/p/{SLUG}/agency/returns/{assessment.id}",
                        criterion_ids=mine,
                        following={c: following[c] for c in mine},
                    )
                )
            assessment_leads[assessment.id] = {number for number, _ in members}
        session.commit()
        scenario = Scenario(
            leads=sorted(leads, key=lambda lead: lead.number),
            dashboard_path=f"/p/{SLUG}/pqa/cycles/{cycle.id}/dashboard",
            assessment_leads=assessment_leads,
            partnership_id=partnership.id,
        )
    engine.dispose()
    return scenario


def drive(port: int, scenario: Scenario, *, seconds, think_s, max_requests) -> Plan:
    """Every lead, the PQA officer and the floor probe, each in a thread, until the
    window closes. A client-side failure is recorded as an error, never swallowed."""
    plan = Plan(
        port=port,
        password=PASSWORD,
        people=len(scenario.leads) + 2,
        seconds=seconds,
        max_requests=max_requests,
        think_s=think_s,
    )

    def guarded(target, *args):
        try:
            target(plan, *args)
        except Exception:
            plan.start.abort()
            plan.recorder.record(
                Sample("client", time.monotonic(), 0.0, None, "error", traceback.format_exc())
            )

    people = [(run_lead, lead) for lead in scenario.leads]
    people += [(run_pqa, PQA_EMAIL, scenario.dashboard_path), (run_probe, _asset_path())]
    threads = [
        threading.Thread(target=guarded, args=person, daemon=True, name=f"person-{n}")
        for n, person in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    # Daemon threads: one stuck past every timeout cannot keep the benchmark running.
    give_up = time.monotonic() + SIGN_IN_TIMEOUT_S + seconds + 2 * REQUEST_TIMEOUT_S
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        plan.recorder.record(
            Sample("client", time.monotonic(), 0.0, None, "error", f"still running: {stuck}")
        )
    return plan


def _asset_path() -> str:
    built = sorted((PROJECT_ROOT / "audit_tool" / "static" / "build").glob("*.css"))
    if not built:
        raise SystemExit("No built stylesheet for the floor: run `make assets` first")
    return f"/assets/{built[0].name}"


def check_database(database_url: str, scenario: Scenario, acknowledged: list[Save]) -> dict:
    """Every acknowledged save is in the database: the answer holds it or a later save
    by the same lead, and the audit trail records it."""
    latest: dict[tuple[int, int], int] = {}
    for save in acknowledged:
        key = (save.lead, save.criterion_id)
        latest[key] = max(latest.get(key, 0), save.seq)
    engine = build_engine(database_url)
    with Session(engine) as session:
        current = {}
        for assessment_id, criterion_id, evidence in session.execute(
            select(
                CriterionResponse.assessment_id,
                CriterionResponse.criterion_id,
                CriterionResponse.evidence,
            ).where(CriterionResponse.assessment_id.in_(scenario.assessment_leads))
        ):
            found = EVIDENCE.fullmatch(evidence)
            if (
                found
                and int(found[1]) in scenario.assessment_leads[assessment_id]
                and int(found[2]) == criterion_id
            ):
                current[(int(found[1]), criterion_id)] = int(found[3])
        recorded = {
            data["after"]["evidence"]
            for data in session.scalars(
                select(AuditEvent.data).where(
                    AuditEvent.event == AuditEventType.RESPONSE_SAVED.value,
                    AuditEvent.partnership_id == scenario.partnership_id,
                )
            )
        }
        if engine.dialect.name == "sqlite":
            version = "SQLite " + session.scalar(text("select sqlite_version()"))
        else:
            version = session.scalar(text("show server_version")).split()[0]
            version = f"PostgreSQL {version}"
    engine.dispose()
    stale = [key for key, seq in latest.items() if current.get(key, 0) < seq]
    missing = [save for save in acknowledged if save.evidence not in recorded]
    return {
        "database": version,
        "answers_checked": len(latest),
        "lost_updates": len(stale),
        "lost_examples": [f"lead {lead} criterion {c}" for lead, c in stale[:5]],
        "missing_from_audit_trail": len(missing),
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _milliseconds(seconds: list[float], prefix: str = "") -> dict:
    ordered = sorted(seconds)
    if not ordered:
        return {}
    return {
        f"{prefix}{name}_ms": round(percentile(ordered, q) * 1000, 1)
        for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
    }


def worker_times(access_log: Path) -> dict[str, list[float]]:
    """Each request type's times inside a gunicorn worker, in seconds: the request's own
    cost, without the wait for a free worker that the client's latency includes."""
    times: dict[str, list[float]] = defaultdict(list)
    for line in access_log.read_text(errors="replace").splitlines():
        microseconds, kind = line.split(" ", 1)
        times[kind].append(int(microseconds) / 1e6)
    return times


def summarise(plan: Plan, in_worker: dict[str, list[float]]) -> dict:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in plan.recorder.samples:
        by_kind[sample.kind].append(sample)
    latency = {}
    for kind in [*KINDS, *sorted(set(by_kind) - set(KINDS))]:
        samples = by_kind.get(kind)
        if not samples:
            continue
        answered = [s.seconds for s in samples if s.status is not None]
        latency[kind] = {
            "requests": len(samples),
            **_milliseconds(answered),
            **_milliseconds(in_worker.get(kind, []), prefix="worker_"),
        }
    measured = [s for s in plan.recorder.samples if s.started >= plan.opened_at]
    ended = max((s.started + s.seconds for s in measured), default=plan.opened_at)
    window = max(ended - plan.opened_at, 1e-9)
    outcomes = defaultdict(int)
    for sample in plan.recorder.samples:
        outcomes[sample.outcome] += 1
    problems = [s.detail for s in plan.recorder.samples if s.outcome != "ok"]
    return {
        "window_s": round(window, 1),
        "requests": len(measured),
        "requests_per_s": round(len(measured) / window, 1),
        "saves_acknowledged": len(plan.recorder.acknowledged),
        "saves_per_s": round(len(plan.recorder.acknowledged) / window, 1),
        "errors": outcomes["error"],
        "conflicts": outcomes["conflict"],
        "unexpected": outcomes["unexpected"],
        "problem_examples": problems[:5],
        "latency": latency,
        "p95_ratios": _ratios(latency, "p95_ms"),
        "worker_p95_ratios": _ratios(latency, "worker_p95_ms"),
    }


def _ratios(latency: dict, measure: str) -> dict:
    ratios = {}
    for kind in ("save", "criterion page", "heat map"):
        for floor in ("static asset", "login page"):
            top, bottom = latency.get(kind, {}).get(measure), latency.get(floor, {}).get(measure)
            if top and bottom:
                ratios[f"{kind} / {floor}"] = round(top / bottom, 1)
    return ratios


def server_log_findings(log_path: Path) -> dict:
    log = log_path.read_text(errors="replace")
    return {
        "database_is_locked_in_log": len(re.findall("database is locked", log, re.IGNORECASE)),
        "server_log_errors": len(re.findall(r"Traceback|\[ERROR\]|\[CRITICAL\]", log)),
    }


def run(
    database_url: str,
    *,
    leads: int,
    seconds: float,
    colleagues: int = 1,
    workers: int = 4,
    threads: int = 1,
    think_s: float = 0.5,
    max_requests: int = 100_000,
) -> dict:
    """One engine's whole run: seed, serve, drive, stop, check. Returns the results with
    `goals_met` and, where it is False, which zero-goals were missed in `missed`."""
    scenario = prepare(database_url, leads, colleagues)
    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "gunicorn.log"
        access_log = Path(directory) / "access.log"
        with servers.gunicorn(
            database_url,
            workers=workers,
            threads=threads,
            log_path=log_path,
            access_log_path=access_log,
            upload_folder=Path(directory) / "uploads",
        ) as port:
            # On a 2-core machine the client competes with the server: report its share.
            client_cpu = time.process_time()
            plan = drive(
                port, scenario, seconds=seconds, think_s=think_s, max_requests=max_requests
            )
            client_cpu = time.process_time() - client_cpu
        findings = server_log_findings(log_path)
        in_worker = worker_times(access_log)
        log_tail = log_path.read_text(errors="replace")[-4000:]
    results = {
        "leads": leads,
        "agencies": len(scenario.assessment_leads),
        "seconds": seconds,
        "think_s": think_s,
        "gunicorn": f"{workers} workers, {threads} thread(s) each",
        **summarise(plan, in_worker),
        "client_cpu_s": round(client_cpu, 1),
        **check_database(database_url, scenario, plan.recorder.acknowledged),
        "server_log_errors": findings["server_log_errors"],
        "database_is_locked": findings["database_is_locked_in_log"]
        + plan.recorder.locked_responses,
    }
    missed = [goal for goal in ZERO_GOALS if results[goal]]
    if not results["saves_acknowledged"]:
        missed.append("saves_acknowledged (none)")
    results["goals_met"] = not missed
    results["missed"] = missed
    if missed:
        results["server_log_tail"] = log_tail
    return results


def report(engine: str, results: dict) -> None:
    print(
        f"-- {engine}: {results['database']}, {results['gunicorn']}, "
        f"{results['leads']} leads in {results['agencies']} agencies"
    )
    print(
        f"   {results['requests']} requests in {results['window_s']} s: "
        f"{results['requests_per_s']} requests/s, {results['saves_per_s']} saves/s "
        f"({results['saves_acknowledged']} acknowledged); "
        f"the load client used {results['client_cpu_s']} s of CPU, sign-in included"
    )
    columns = ("p50_ms", "p95_ms", "p99_ms", "max_ms", "worker_p50_ms", "worker_p95_ms")
    print(
        f"   {'ms (worker: inside gunicorn)':<28}{'count':>6}", *(f"{c[:-3]:>9}" for c in columns)
    )
    for kind, row in results["latency"].items():
        cells = (f"{row.get(c, '-'):>9}" for c in columns)
        print(f"   {kind:<28}{row['requests']:>6}", *cells)
    for name, ratio in results["p95_ratios"].items():
        worker = results["worker_p95_ratios"].get(name, "-")
        print(f"   p95 {name}: {ratio} times (in the worker: {worker} times)")
    goals = ", ".join(f"{goal} {results[goal]}" for goal in ZERO_GOALS)
    print(f"   zero goals: {goals}: {'met' if results['goals_met'] else 'MISSED'}")
    for example in results["problem_examples"] + results["lost_examples"]:
        print(f"   e.g. {example}")
    if not results["goals_met"]:
        print(results["server_log_tail"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=50)
    parser.add_argument(
        "--colleagues", type=int, default=1, help="leads sharing each agency's return"
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="per worker (>1: gthread)")
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean pause (s) between a page and its save"
    )
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--engine", action="append", choices=ENGINES)
    args = parser.parse_args(argv)
    options = {
        "leads": args.leads,
        "colleagues": args.colleagues,
        "seconds": args.seconds,
        "workers": args.workers,
        "threads": args.threads,
        "think_s": args.think,
        "max_requests": args.max_requests,
    }
    all_results: dict[str, dict] = {}
    for engine in args.engine or ENGINES:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as directory:
                results = run(f"sqlite:///{Path(directory) / 'load.sqlite3'}", **options)
        else:
            try:
                with servers.throwaway_postgres() as url:
                    results = run(url, **options)
            except servers.Unavailable as reason:
                print(f"-- postgresql: SKIPPED: {reason}")
                all_results[engine] = {"skipped": str(reason)}
                continue
        report(engine, results)
        all_results[engine] = results
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(all_results, indent=2, ensure_ascii=False))
    missed = [e for e, r in all_results.items() if not r.get("goals_met", True)]
    if missed:
        raise SystemExit(f"Load goals missed on {', '.join(missed)}: see bench/results/load.json")


if __name__ == "__main__":
    main()
