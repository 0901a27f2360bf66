"""`flask --app wsgi bench-seed`: fill a database for the benchmarks (see the package)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from .. import clock
from ..db import db
from ..services.passwords import generate_password
from . import LARGE_SLUG, Scale, holds_partnerships, seed


@click.command("bench-seed")
@click.option(
    "--partnerships", default=Scale.partnerships, show_default=True, type=click.IntRange(0)
)
@click.option(
    "--agencies",
    default=Scale.agencies,
    show_default=True,
    type=click.IntRange(1),
    help="Agencies in each of those partnerships.",
)
@click.option(
    "--large-agencies",
    default=Scale.large_agencies,
    show_default=True,
    type=click.IntRange(0),
    help=f"Agencies in one more, large partnership ({LARGE_SLUG}); 0 for none.",
)
@click.option("--criteria", default=Scale.criteria, show_default=True, type=click.IntRange(9, 200))
@click.option("--seed", "seed_number", default=Scale.seed, show_default=True, type=int)
@click.option("--password", help="Password for every account (default: generated, printed).")
@click.option(
    "--into-database-with-data", is_flag=True,
    help="Add to a database that already holds partnerships (refused otherwise, so a live "
    "database is not filled with made-up data by mistake).",
)  # fmt: skip
@with_appcontext
def bench_seed(
    partnerships, agencies, large_agencies, criteria, seed_number, password, into_database_with_data
) -> None:
    """Fill the database with a made-up deployment for the benchmarks: by default 32
    partnerships of 150 agencies and one of 400, a 60-criterion framework, two Section 11
    cycles each, panels and case-file audits."""
    scale = Scale(partnerships, agencies, large_agencies, criteria, seed_number)
    if not scale.partnerships and not scale.large_agencies:
        raise click.UsageError("Nothing to add: give --partnerships or --large-agencies.")
    password = password or generate_password()
    started = time.perf_counter()
    with db.transaction() as session:
        if holds_partnerships(session) and not into_database_with_data:
            raise click.ClickException(
                "This database already holds partnerships. bench-seed adds made-up data for "
                "benchmarks; to add it anyway, pass --into-database-with-data."
            )

        def seeded(partnership, counts) -> None:
            # Committed one partnership at a time, so memory stays flat and a run that is
            # stopped keeps what it finished.
            session.commit()
            click.echo(
                f"  {partnership.slug:<12} {counts.agencies:>4} agencies "
                f"{counts.answers:>7,} answers  ({time.perf_counter() - started:.0f} s)"
            )

        totals = seed(session, scale=scale, password=password, today=clock.today(), seeded=seeded)
    if db.engine.dialect.name == "postgresql":
        # Statistics for the planner now, not when autovacuum next gets round to it: a
        # benchmark run straight after would otherwise measure plans made for empty tables.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    click.echo(
        f"Added {totals.partnerships} partnerships, {totals.agencies:,} agencies, "
        f"{totals.answers:,} answers, {totals.evidence_items:,} evidence items, "
        f"{totals.actions:,} actions, {totals.moderated_ratings:,} moderated ratings and "
        f"{totals.case_returns:,} case audit returns in {time.perf_counter() - started:.0f} s."
    )
    first = LARGE_SLUG if scale.large_agencies else "bench-01"
    click.echo(f"Sign in as pqa@{first}.example.org (or panel1@, lead001@ ...) with: {password}")
