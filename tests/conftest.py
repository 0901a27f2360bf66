from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from audit_tool import clock, create_app, migrate
from audit_tool.db import build_engine
from audit_tool.models import Agency, AuditEvent, Partnership, Role, Sector, User

from .databases import engine_name, fresh_database_url
from .factories import PASSWORD, Factory
from .html_client import HTMLCheckingClient

TEST_SECRET_KEY = "test-secret-key"


def pytest_configure(config):
    """The suite runs on one day. Tests take their dates from `clock.today()` as the app
    does, and it is pinned here, before any test module is collected: a run that crosses
    midnight would otherwise compare dates taken before it with dates the app takes
    after (an action five days overdue at collection is six days overdue by then)."""
    pinned = clock.today()
    clock.today = lambda: pinned


def pytest_report_header(config):
    return f"database under test: {engine_name()}"


def make_app(database_url: str, **overrides):
    return create_app(
        {
            "ENVIRONMENT": "testing",
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": database_url,
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def database_url():
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = make_app(database_url, UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")))
    app.test_client_class = HTMLCheckingClient
    yield app
    app.extensions["database"].engine.dispose()


@pytest.fixture
def session(app):
    """Each test runs inside one transaction that is rolled back at the end; requests
    made during the test commit into savepoints within it."""
    engine = app.extensions["database"].engine
    connection = engine.connect()
    transaction = connection.begin()
    db_state = app.extensions["database"]
    db_state.bind(connection)
    test_session = db_state.write()
    yield test_session
    test_session.close()
    transaction.rollback()
    connection.close()
    db_state.bind(engine)


@pytest.fixture
def make(session):
    return Factory(session)


@dataclass
class World:
    """Two partnerships, agencies and one person in each role."""

    partnership: Partnership
    other_partnership: Partnership
    police: Agency
    health: Agency
    other_agency: Agency
    pqa: User
    panel: User
    police_lead: User
    health_lead: User
    other_pqa: User
    other_lead: User


@pytest.fixture
def world(make) -> World:
    partnership = make.partnership("Test Partnership")
    other = make.partnership("Other Partnership")
    police = make.agency(partnership, "Test Police")
    health = make.agency(partnership, "Test Health Trust", sector=Sector.HEALTH)
    other_agency = make.agency(other, "Other Council")
    return World(
        partnership=partnership,
        other_partnership=other,
        police=police,
        health=health,
        other_agency=other_agency,
        pqa=make.user(partnership, Role.PQA_ADMIN, name="Pat Pqa"),
        panel=make.user(partnership, Role.PANEL_MEMBER, name="Pam Panel"),
        police_lead=make.user(partnership, Role.AGENCY_LEAD, police, name="Lee Police"),
        health_lead=make.user(partnership, Role.AGENCY_LEAD, health, name="Hal Health"),
        other_pqa=make.user(other, Role.PQA_ADMIN, name="Otto Other"),
        other_lead=make.user(other, Role.AGENCY_LEAD, other_agency, name="Ola Other"),
    )


def _client_for(app, user: User | None) -> HTMLCheckingClient:
    client = app.test_client()
    if user is not None:
        client.sign_in(user.email, PASSWORD)
    return client


@pytest.fixture
def client(app, session):
    """An anonymous browser."""
    return _client_for(app, None)


@pytest.fixture
def pqa_client(app, world):
    return _client_for(app, world.pqa)


@pytest.fixture
def panel_client(app, world):
    return _client_for(app, world.panel)


@pytest.fixture
def agency_client(app, world):
    return _client_for(app, world.police_lead)


@pytest.fixture
def client_for(app, session):
    return lambda user: _client_for(app, user)


def count_rows(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def audit_events(session, event: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's chromium; it never downloads a browser of its own."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
