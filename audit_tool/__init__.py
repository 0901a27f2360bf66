"""Safeguarding partnership audit tool: Section 11 self-assessments, challenge panels and
multi-agency case-file audits for local safeguarding children partnerships."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .db import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent

csrf = CSRFProtect()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static/build",
        static_url_path="/assets",
    )
    load_config(app, config)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    db.init_app(app)
    csrf.init_app(app)

    from . import access, cli
    from .web import headers, sessions, templating
    from .web.errors import register_error_pages

    templating.init_app(app)
    register_error_pages(app)
    app.before_request(sessions.load_signed_in_user)
    app.before_request(access.enforce_access)
    app.after_request(headers.set_security_headers)
    cli.init_app(app)

    from .areas import admin, agency, api, auth, frameworks, home, panel, pqa

    for area in (auth, home, agency, panel, pqa, frameworks, admin, api):
        app.register_blueprint(area.bp)
    return app
