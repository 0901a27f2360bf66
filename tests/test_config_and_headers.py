from __future__ import annotations

import pytest

from audit_tool import create_app
from audit_tool.config import ConfigurationError, normalise_database_url


def test_development_secret_key_is_refused_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("AUDIT_TOOL_ENV", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})


def test_production_with_a_real_key_has_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.delenv("AUDIT_TOOL_ENV", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"


def test_development_allows_the_default_key(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIT_TOOL_ENV", "development")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("AUDIT_TOOL_ENV", "staging-ish")
    with pytest.raises(ConfigurationError):
        create_app()


def test_database_url_forms_are_normalised():
    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # only over HTTPS


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_pages_have_no_inline_scripts_or_styles(pqa_client, world):
    page = pqa_client.get(f"/p/{world.partnership.slug}/pqa/").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page


def test_a_get_that_writes_is_refused(app, session):
    from flask import Flask

    from audit_tool.db import WriteOnReadRequest, db
    from audit_tool.models import Partnership

    probe = Flask("probe")
    probe.config.update(app.config)
    probe.extensions["database"] = app.extensions["database"]
    with probe.test_request_context("/", method="GET"):
        db.session.add(Partnership(name="Sneaky", slug="sneaky"))
        with pytest.raises(WriteOnReadRequest):
            db.session.flush()
        db.session.rollback()
