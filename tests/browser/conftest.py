"""A real server on loopback with the demo partnership, for Playwright to drive."""

from __future__ import annotations

import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from audit_tool import migrate
from audit_tool.demo import load_demo

from ..conftest import make_app
from ..databases import fresh_database_url

DEMO_PASSWORD = "browser-demo-password"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def live_server():
    with fresh_database_url() as url:
        app = make_app(url)
        engine = app.extensions["database"].engine
        migrate.upgrade(engine)
        with Session(engine) as session:
            load_demo(session, password=DEMO_PASSWORD)
            session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def check_accessibility(axe):
    """Fail on any serious or critical axe-core violation on the current page."""

    def check(page) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{page.url}: {serious}"

    return check


@pytest.fixture
def sign_in(live_server):
    def sign_in(page, email: str) -> None:
        page.goto(f"{live_server}/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

    return sign_in
