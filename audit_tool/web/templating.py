from __future__ import annotations

from flask import Flask, current_app, g, url_for
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from .. import access
from ..models import ROLE_LABELS, SECTOR_LABELS, Role, Sector
from ..services.users import roles_in


def init_app(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    app.context_processor(_template_context)
    app.add_template_filter(_date, "date")
    app.add_template_filter(_datetime, "datetime")


def _date(value) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _datetime(value) -> str:
    # Times are shown in UTC with the zone named, so nobody misreads them.
    return value.strftime("%-d %B %Y at %H:%M UTC") if value else ""


def _template_context() -> dict:
    return {
        "service_name": current_app.config["SERVICE_NAME"],
        "Role": Role,
        "Sector": Sector,
        "ROLE_LABELS": ROLE_LABELS,
        "SECTOR_LABELS": SECTOR_LABELS,
        "navigation": _navigation(),
        "can_act_for_agency": access.can_act_for_agency,
        "can_administer": access.can_administer,
        "idle_timeout_seconds": int(current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()),
        "warning_seconds": int(current_app.config["SESSION_WARNING_BEFORE"].total_seconds()),
    }


# Each role's places in a partnership, in the order they appear in the navigation.
_AREAS = [
    (Role.AGENCY_LEAD, "Your agency", "agency.home"),
    (Role.PANEL_MEMBER, "Challenge panel", "panel.home"),
    (Role.PQA_ADMIN, "Overview", "pqa.home"),
    (Role.PQA_ADMIN, "Agencies", "pqa.agencies"),
    (Role.PQA_ADMIN, "Users", "pqa.users"),
    (Role.PQA_ADMIN, "Audit trail", "pqa.audit_trail"),
    (Role.PQA_ADMIN, "Settings", "pqa.settings"),
]


def _navigation() -> list[dict]:
    user = g.get("user")
    partnership = g.get("partnership")
    if user is None:
        return []
    from flask import request

    items = []
    if partnership is not None:
        roles = roles_in(user, partnership)
        for role, text, endpoint in _AREAS:
            if role in roles:
                href = url_for(endpoint, partnership_slug=partnership.slug)
                items.append({"text": text, "href": href, "active": request.endpoint == endpoint})
    if user.is_system_admin:
        items.append(
            {
                "text": "Partnerships",
                "href": url_for("admin.partnerships"),
                "active": request.endpoint == "admin.partnerships",
            }
        )
    return items
