"""Configuration: safe defaults, then instance/config.py, then the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

# Refused outside development and tests: a deployment that forgets to set its own
# key would otherwise sign session cookies with a key anyone can read here.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-deploy"  # noqa: S105

ENVIRONMENTS = ("production", "development", "testing")


class ConfigurationError(RuntimeError):
    """The app was started with settings that are unsafe or incomplete."""


def default_settings(instance_path: Path) -> dict:
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{instance_path / 'audit_tool.sqlite3'}",
        "SERVICE_NAME": "Safeguarding partnership audits",
        "UPLOAD_FOLDER": str(instance_path / "uploads"),
        "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
        # How much more an essential criterion counts in a score (1: the same as any).
        "ESSENTIAL_CRITERION_WEIGHT": 1.0,
        # Leave headroom over the largest evidence file for the rest of the form.
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # Sessions: 30 minutes idle, 12 hours absolute, ended server-side on logout.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "SESSION_WARNING_BEFORE": timedelta(minutes=5),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # Sign-in throttling: this many failures within the window lock an account (or,
        # for the per-address limit, a client address) for the lockout time.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW": timedelta(minutes=15),
        "LOGIN_LOCKOUT": timedelta(minutes=15),
        # How long someone who gave the right password has to enter their two-factor code.
        "TWO_FACTOR_CODE_TIMEOUT": timedelta(minutes=5),
        # How long `flask prune` keeps a sign-in session's record after it ended (signed
        # out, ended by deactivation, or past the absolute timeout): long enough to look
        # into a reported incident. The audit trail is never pruned.
        "LOGIN_SESSION_RETENTION": timedelta(days=30),
        # An evidence file no evidence item names (its save was refused, or its worker
        # was killed before the row was committed) is deleted by `prune` after this.
        "UNUSED_FILE_RETENTION": timedelta(days=1),
        # How many reverse proxies stand in front of the app and may be believed about
        # the client's address and scheme (X-Forwarded-For, X-Forwarded-Proto). With 0,
        # the peer's address is the client's: behind an unacknowledged proxy every
        # sign-in would seem to come from the proxy, and one address's failure limit
        # would lock everyone out together.
        "TRUSTED_PROXIES": 0,
        "SESSION_COOKIE_NAME": "audit_tool_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,
        # CSRF tokens live as long as the session: a lead who spends 90 minutes on a
        # standard must not lose it on submit.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
    }


def _from_environment() -> dict:
    settings: dict = {}
    for name in ("DATABASE_URL", "SECRET_KEY", "SERVICE_NAME", "UPLOAD_FOLDER"):
        if os.environ.get(name):
            settings[name] = os.environ[name]
    if os.environ.get("AUDIT_TOOL_ENV"):
        settings["ENVIRONMENT"] = os.environ["AUDIT_TOOL_ENV"]
    for name in ("MAX_UPLOAD_BYTES", "TRUSTED_PROXIES"):
        if os.environ.get(name):
            settings[name] = int(os.environ[name])
    return settings


def load_config(app, overrides: dict | None) -> None:
    """Apply defaults, instance/config.py, environment, then explicit overrides."""
    instance_path = Path(app.instance_path)
    app.config.update(default_settings(instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(_from_environment())
    if overrides:
        app.config.update(overrides)

    environment = app.config["ENVIRONMENT"]
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"AUDIT_TOOL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
        )
    app.config["TESTING"] = app.config.get("TESTING") or environment == "testing"
    if environment == "production" and app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY:
        raise ConfigurationError(
            "SECRET_KEY is still the development default. Set SECRET_KEY in the "
            "environment or instance/config.py before running outside development."
        )
    if environment != "production":
        # Plain http on 127.0.0.1 during development and tests.
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["WTF_CSRF_SSL_STRICT"] = False
    app.config["SQLALCHEMY_DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
