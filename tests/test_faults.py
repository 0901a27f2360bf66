"""A gunicorn worker killed in the middle of a save leaves nothing half-saved.

The save is an agency lead starting this cycle's return from last cycle's: one request
that writes an answer row per criterion carried, moves the return to "in progress" and
records the start in the audit trail. gunicorn serves the app (`paused_app` below) on
loopback; the first such save stops just before it commits, with every row written
inside its transaction, and the test kills that worker with SIGKILL. The database must
hold none of the save, and the service must go on serving the return and take the save
again, whole.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from flask import has_request_context, request
from sqlalchemy import event, func, make_url, select
from sqlalchemy.orm import Session

from audit_tool import PROJECT_ROOT, create_app, migrate
from audit_tool.db import build_engine
from audit_tool.demo import load_demo
from audit_tool.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    CriterionResponse,
    Membership,
    User,
)

from .databases import engine_name, fresh_database_url

LEAD = "lead.police@example.org"
PASSWORD = "demo-password-1"
START_ENDPOINT = "agency.task_list"


def paused_app():
    """The app as gunicorn serves it, except that the first POST that starts a return
    writes all its rows, then waits before committing for the test to kill it. The
    file named by FAULT_MARKER says which process to kill and how many answer rows the
    save had written."""
    app = create_app()
    marker = Path(os.environ["FAULT_MARKER"])

    @event.listens_for(Session, "before_commit")
    def pause_mid_save(session):
        starting = (
            has_request_context()
            and request.method == "POST"
            and request.endpoint == START_ENDPOINT
        )
        if not starting or marker.exists():
            return
        session.flush()
        written = session.scalar(
            select(func.count())
            .select_from(CriterionResponse)
            .where(CriterionResponse.assessment_id == request.view_args["assessment_id"])
        )
        ready = marker.with_suffix(".tmp")
        ready.write_text(json.dumps({"pid": os.getpid(), "rows": written}))
        ready.replace(marker)
        time.sleep(120)

    return app


class Browser:
    """A person's browser: cookies kept, CSRF token taken from each form."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=60) as response:
            return response.read().decode()

    def submit(self, path: str, fields: dict[str, str]) -> str:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.get(path))
        data = urlencode({**fields, "csrf_token": token[1]}).encode()
        with self.opener.open(self.base_url + path, data, timeout=60) as response:
            return response.read().decode()


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, folder: Path) -> Iterator[str]:
    """gunicorn with two workers serving `paused_app` on loopback, as in production
    (--preload); yields its base URL."""
    port = free_port()
    log = (folder / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=2",
            "--preload",
            f"--bind=127.0.0.1:{port}",
            "tests.test_faults:paused_app()",
        ],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key",
            "AUDIT_TOOL_ENV": "testing",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "FAULT_MARKER": str(folder / "paused.json"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                Browser(base_url).get("/login")
                break
            except (URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "gunicorn did not start:\n" + (folder / "gunicorn.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def wait_for(path: Path, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"the save never reached the pause ({path})"
        time.sleep(0.05)
    return json.loads(path.read_text())


def the_leads_return(session: Session) -> Assessment:
    """The police lead's return in the open cycle: not started, with last cycle's return
    to start from."""
    agency_id = session.scalar(
        select(Membership.agency_id).join(Membership.user).where(User.email == LEAD)
    )
    return session.scalars(
        select(Assessment).where(
            Assessment.agency_id == agency_id,
            Assessment.status == AssessmentStatus.NOT_STARTED,
        )
    ).one()


def saved_rows(session: Session, assessment_id: int) -> tuple[AssessmentStatus, int, int]:
    """The return's status, its answer rows, and the audit events about it."""
    session.expire_all()
    status = session.scalar(select(Assessment.status).where(Assessment.id == assessment_id))
    answers = session.scalar(
        select(func.count())
        .select_from(CriterionResponse)
        .where(CriterionResponse.assessment_id == assessment_id)
    )
    events = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "Assessment", AuditEvent.subject_id == assessment_id)
    )
    return status, answers, events


@pytest.mark.slow
def test_a_worker_killed_mid_save_leaves_no_partial_return(tmp_path):
    with fresh_database_url() as url:
        engine = build_engine(url)
        migrate.upgrade(engine)
        with Session(engine) as session:
            load_demo(session, password=PASSWORD)
            session.commit()
            assessment_id = the_leads_return(session).id
            path = f"/p/demo/agency/returns/{assessment_id}/"
            assert saved_rows(session, assessment_id) == (AssessmentStatus.NOT_STARTED, 0, 0)

        with gunicorn(url, tmp_path) as base_url:
            lead = Browser(base_url)
            lead.submit("/login", {"email": LEAD, "password": PASSWORD})
            assert "How do you want to start?" in lead.get(path)

            outcome: dict = {}

            def start_from_last_cycle():
                try:
                    outcome["page"] = lead.submit(path, {"start": "carry"})
                except (URLError, ConnectionError) as error:
                    outcome["error"] = error

            saving = threading.Thread(target=start_from_last_cycle)
            saving.start()
            paused = wait_for(tmp_path / "paused.json", 60)
            assert paused["rows"] > 1, "the save had not written its answers yet"
            os.kill(paused["pid"], signal.SIGKILL)
            saving.join(60)
            assert "error" in outcome, "the killed save answered"

            with Session(engine) as session:
                assert saved_rows(session, assessment_id) == (AssessmentStatus.NOT_STARTED, 0, 0)
            if engine_name() == "sqlite":
                database = make_url(url).database
                with closing(sqlite3.connect(database)) as connection:
                    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

            # Still signed in (the sign-in was its own, committed request); the return
            # is still there to start, and starting it again saves all of it.
            assert "How do you want to start?" in lead.get(path)
            page = lead.submit(path, {"start": "carry"})
            assert f"{paused['rows']} answers carried forward" in page
            with Session(engine) as session:
                status, answers, events = saved_rows(session, assessment_id)
            assert (status, answers) == (AssessmentStatus.IN_PROGRESS, paused["rows"])
            assert events == 1
        engine.dispose()
