"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from . import migrate
from .db import db
from .models import Partnership, Role
from .services import DomainError
from .services import agencies as agency_service
from .services import partnerships as partnership_service
from .services import users as user_service


def init_app(app: Flask) -> None:
    from .bench_seed.cli import bench_seed
    from .case_templates.cli import CASE_TEMPLATE_COMMANDS
    from .exports.cli import EXPORT_COMMANDS
    from .frameworks.cli import FRAMEWORK_COMMANDS
    from .operations.cli import OPERATIONS_COMMANDS
    from .portability.cli import PORTABILITY_COMMANDS

    for command in (
        init_db,
        seed_demo,
        create_user,
        create_partnership,
        bench_seed,
        *FRAMEWORK_COMMANDS,
        *CASE_TEMPLATE_COMMANDS,
        *EXPORT_COMMANDS,
        *PORTABILITY_COMMANDS,
        *OPERATIONS_COMMANDS,
    ):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the latest migration."""
    migrate.upgrade(db.engine)
    click.echo("Database is at the latest migration.")


@click.command("seed-demo")
@with_appcontext
@click.option("--password", help="Password for every demo account (default: generated).")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing if the database already holds a partnership."
)
def seed_demo(password: str | None, if_empty: bool) -> None:
    """Load the demo partnership, its agencies and the demo accounts."""
    from .demo import load_demo

    with db.transaction() as session:
        if if_empty and session.scalar(select(func.count()).select_from(Partnership)):
            click.echo("The database already holds data; demo not loaded.")
            return
        try:
            accounts, used_password = load_demo(session, password=password)
        except DomainError as error:
            raise click.ClickException(
                f"{error.message}. The demo may already be loaded."
            ) from error
    click.echo("Demo partnership loaded. Sign in at http://127.0.0.1:5000/login as:")
    for email, description in accounts:
        click.echo(f"  {email:<28} {description}")
    click.echo(f"Password for every demo account: {used_password}")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice([*(role.value for role in Role), "system_admin"]),
)
@click.option("--partnership", "partnership_slug", help="Partnership short name (slug).")
@click.option("--agency", "agency_name", help="Agency name, for agency leads.")
@click.option("--password", help="Password (default: a temporary one, shown once).")
def create_user(email, name, role, partnership_slug, agency_name, password) -> None:
    """Create a user account with one role."""
    with db.transaction() as session:
        try:
            if role == "system_admin":
                _, used = user_service.create_user(
                    session,
                    email=email,
                    name=name,
                    by=None,
                    password=password,
                    is_system_admin=True,
                )
            else:
                if not partnership_slug:
                    raise click.UsageError("--partnership is required for this role")
                partnership = partnership_service.get_partnership_by_slug(session, partnership_slug)
                agency = None
                if role == Role.AGENCY_LEAD.value:
                    agency = _agency_by_name(session, partnership, agency_name)
                user, used = user_service.create_user(
                    session,
                    email=email,
                    name=name,
                    by=None,
                    partnership=partnership,
                    password=password,
                )
                user_service.grant_role(
                    session,
                    user=user,
                    partnership=partnership,
                    role=Role(role),
                    agency=agency,
                    by=None,
                )
        except DomainError as error:
            raise click.ClickException(error.message) from error
    click.echo(f"Created {email}.")
    if password is None:
        click.echo(f"Temporary password (shown once; they must change it): {used}")


def _agency_by_name(session, partnership, agency_name):
    if not agency_name:
        raise click.UsageError("--agency is required for agency leads")
    for link in agency_service.list_partnership_agencies(session, partnership):
        if link.agency.name.lower() == agency_name.lower():
            return link.agency
    raise click.ClickException(f"No agency called {agency_name!r} in {partnership.name}")


@click.command("create-partnership")
@with_appcontext
@click.option("--name", required=True)
@click.option("--slug", required=True, help="Short name used in web addresses.")
@click.option("--contact-email")
def create_partnership(name, slug, contact_email) -> None:
    """Create a partnership (the tenant everything else belongs to)."""
    with db.transaction() as session:
        try:
            partnership_service.create_partnership(
                session, name=name, slug=slug, contact_email=contact_email, by=None
            )
        except DomainError as error:
            raise click.ClickException(error.message) from error
    click.echo(f"Created {name} ({slug}).")
