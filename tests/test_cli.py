"""The command-line contract: init-db, seed-demo, create-user, create-partnership."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audit_tool.models import Agency, Membership, Partnership, PartnershipAgency, Role, User
from audit_tool.services.passwords import password_matches

from .conftest import make_app
from .databases import fresh_database_url


@pytest.fixture
def cli_app():
    with fresh_database_url() as url:
        app = make_app(url)
        yield app
        app.extensions["database"].engine.dispose()


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def _count(app, model, *where):
    with app.extensions["database"].write() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_init_db_then_seed_demo_with_a_password(cli_app):
    assert "latest migration" in run(cli_app, "init-db").output
    result = run(cli_app, "seed-demo", "--password", "a-demo-password")
    assert result.exit_code == 0
    for email in (
        "pqa@example.org",
        "panel@example.org",
        "lead.police@example.org",
        "lead.health@example.org",
    ):
        assert email in result.output
    with cli_app.extensions["database"].write() as session:
        demo = session.scalar(select(Partnership).where(Partnership.slug == "demo"))
        assert demo.name == "Demo Safeguarding Children Partnership"
        in_demo = PartnershipAgency.partnership_id == demo.id
        agencies = session.scalars(select(Agency).join(PartnershipAgency).where(in_demo)).all()
        assert len(agencies) >= 12
        assert {a.sector.value for a in agencies} >= {
            "local_authority",
            "health",
            "police",
            "education",
            "probation",
            "youth_justice",
            "voluntary",
            "other",
        }
        shared = [a for a in agencies if len(a.partnership_links) > 1]
        assert len(shared) == 1
        police = session.scalar(select(User).where(User.email == "lead.police@example.org"))
        health = session.scalar(select(User).where(User.email == "lead.health@example.org"))
        assert password_matches(police.password_hash, "a-demo-password")
        assert police.memberships[0].agency_id != health.memberships[0].agency_id
        pqa = session.scalar(select(User).where(User.email == "pqa@example.org"))
        assert pqa.memberships[0].role is Role.PQA_ADMIN


def test_seed_demo_generates_and_prints_a_password(cli_app):
    run(cli_app, "init-db")
    result = run(cli_app, "seed-demo")
    password = result.output.strip().splitlines()[-1].split(": ")[1]
    with cli_app.extensions["database"].write() as session:
        pqa = session.scalar(select(User).where(User.email == "pqa@example.org"))
        assert password_matches(pqa.password_hash, password)


def test_seed_demo_if_empty_keeps_existing_data(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "seed-demo", "--password", "first-password")
    result = run(cli_app, "seed-demo", "--if-empty", "--password", "second-password")
    assert "already holds data" in result.output
    assert _count(cli_app, Partnership) == 2
    result = cli_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0


def test_init_db_twice_is_harmless(cli_app):
    run(cli_app, "init-db")
    assert run(cli_app, "init-db").exit_code == 0


def test_create_user_for_each_role(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "seed-demo", "--password", "x-password-1")
    result = run(
        cli_app,
        "create-user",
        "--email",
        "new.lead@example.org",
        "--name",
        "New Lead",
        "--role",
        "agency_lead",
        "--partnership",
        "demo",
        "--agency",
        "shire constabulary",
    )
    assert "Temporary password" in result.output
    run(
        cli_app,
        "create-user",
        "--email",
        "chair@example.org",
        "--name",
        "Chair",
        "--role",
        "panel_member",
        "--partnership",
        "demo",
        "--password",
        "chair-password",
    )
    run(
        cli_app,
        "create-user",
        "--email",
        "root@example.org",
        "--name",
        "Root",
        "--role",
        "system_admin",
        "--password",
        "root-password",
    )
    assert _count(cli_app, User, User.is_system_admin) == 1
    assert _count(cli_app, Membership, Membership.role == Role.PANEL_MEMBER) == 2


def test_create_user_errors_are_clear_and_exit_non_zero(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "seed-demo", "--password", "x-password-1")
    runner = cli_app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "agency_lead",
            "--partnership",
            "demo",
            "--agency",
            "No Such Agency",
        ]
    )
    assert result.exit_code != 0 and "No agency called" in result.output
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "pqa@example.org",
            "--name",
            "X",
            "--role",
            "panel_member",
            "--partnership",
            "demo",
        ]
    )
    assert result.exit_code != 0 and "already exists" in result.output
    assert _count(cli_app, User, User.email == "x@example.org") == 0


def test_create_partnership(cli_app):
    run(cli_app, "init-db")
    run(cli_app, "create-partnership", "--name", "North Shire SCP", "--slug", "north-shire")
    result = cli_app.test_cli_runner().invoke(
        args=["create-partnership", "--name", "Bad", "--slug", "Bad Slug"]
    )
    assert result.exit_code != 0
    assert _count(cli_app, Partnership) == 1
