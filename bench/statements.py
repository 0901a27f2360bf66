"""Benchmark: SQL statements per page, for a partnership of 5 agencies and one of 400 in
the same database. A page whose count grows with the agencies runs queries in a loop
(an N+1): that costs more than any ratio elsewhere shows.

    .venv/bin/python -m bench.statements [--engine sqlite] [--engine postgresql]
        [--small 5] [--large 400]

Data: bench-seed (two cycles each, panels, case audits, 60 criteria). Pages, signed in as
the partnership's PQA administrator: the heat map, flags and criteria pages, a return,
the cycle's returns tracker, a panel pack, the action tracker, a case-audit round, and the
API's scores and flags.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from audit_tool.bench_seed import LARGE_SLUG, Scale
from audit_tool.models import (
    Assessment,
    AuditCycle,
    CaseAuditRound,
    CriterionResponse,
    CycleStatus,
    Panel,
    PanelAgency,
    PanelStatus,
    Partnership,
    RoundStatus,
    User,
)
from audit_tool.services.api_tokens import create_token

from . import servers
from .seeded import ENGINES, PASSWORD, cpu_model, seeded

SMALL_SLUG = "bench-01"


def _pages(session: Session, slug: str) -> dict[str, str]:
    partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
    cycle = session.scalar(
        select(AuditCycle).where(
            AuditCycle.partnership_id == partnership.id, AuditCycle.status == CycleStatus.OPEN
        )
    )
    answered = session.scalar(
        select(Assessment.id)
        .join(CriterionResponse)
        .where(Assessment.cycle_id == cycle.id)
        .order_by(Assessment.id)
        .limit(1)
    )
    panel_id, attendance_id = session.execute(
        select(Panel.id, PanelAgency.id)
        .join(PanelAgency, PanelAgency.panel_id == Panel.id)
        .where(Panel.cycle_id == cycle.id, Panel.status == PanelStatus.SIGNED_OFF)
        .order_by(PanelAgency.id)
        .limit(1)
    ).one()
    round_id = session.scalar(
        select(CaseAuditRound.id).where(
            CaseAuditRound.partnership_id == partnership.id,
            CaseAuditRound.status == RoundStatus.CLOSED,
        )
    )
    base = f"/p/{slug}/pqa"
    return {
        "heat map": f"{base}/cycles/{cycle.id}/dashboard",
        "flags": f"{base}/cycles/{cycle.id}/flags",
        "criteria": f"{base}/cycles/{cycle.id}/criteria",
        "a return": f"{base}/cycles/{cycle.id}/returns/{answered}",
        "returns tracker": f"{base}/cycles/{cycle.id}",
        "panel pack": f"{base}/panels/{panel_id}/agencies/{attendance_id}/pack",
        "action tracker": f"{base}/actions",
        "case round": f"{base}/case-rounds/{round_id}",
        "case round analysis": f"{base}/case-rounds/{round_id}/analysis",
        "API scores": f"/api/v1/cycles/{cycle.id}/scores",
        "API flags": f"/api/v1/cycles/{cycle.id}/flags",
    }


def _api_token(session: Session, slug: str) -> str:
    partnership = session.scalar(select(Partnership).where(Partnership.slug == slug))
    pqa = session.scalar(select(User).where(User.email == f"pqa@{slug}.example.org"))
    _, token = create_token(session, user=pqa, partnership=partnership, name="bench", by=pqa)
    session.commit()
    return token


def count(target, slug: str) -> dict[str, int]:
    app = target.app
    engine = app.extensions["database"].engine
    with Session(engine) as session:
        pages = _pages(session, slug)
        token = _api_token(session, slug)
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"email": f"pqa@{slug}.example.org", "password": PASSWORD, "csrf_token": csrf},
    )
    counts = {}
    for name, url in pages.items():
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        client.get(url, headers=headers)  # the first visit fills caches (the session)
        statements = 0

        def counter(*_args):
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            response = client.get(url, headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        counts[name] = statements
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", action="append", choices=ENGINES)
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--large", type=int, default=400)
    args = parser.parse_args(argv)
    scale = Scale(partnerships=1, agencies=args.small, large_agencies=args.large)
    all_results: dict[str, dict] = {"machine": {"cpu": cpu_model(), "cores": os.cpu_count()}}
    for engine in args.engine or ENGINES:
        try:
            with seeded(engine, scale) as target:
                small, large = count(target, SMALL_SLUG), count(target, LARGE_SLUG)
                versions = target.versions()
        except servers.Unavailable as reason:
            print(f"-- {engine}: SKIPPED: {reason}")
            all_results[engine] = {"skipped": str(reason)}
            continue
        print(f"-- {engine} ({versions['database']}): statements per page")
        print(f"   {'page':<22} {args.small:>6} {args.large:>6}")
        for name in small:
            flat = "flat" if small[name] == large[name] else "GROWS"
            print(f"   {name:<22} {small[name]:>6} {large[name]:>6}  {flat}")
        all_results[engine] = {
            "agencies": [args.small, args.large],
            **versions,
            "pages": {name: [small[name], large[name]] for name in small},
            "flat": all(small[name] == large[name] for name in small),
        }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "statements.json").write_text(json.dumps(all_results, indent=2) + "\n")


if __name__ == "__main__":
    main()
