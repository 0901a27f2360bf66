from __future__ import annotations

from flask import Flask, current_app, g, request, url_for
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
        "absolute_timeout_hours": int(
            current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() // 3600
        ),
        "session_ends_seconds": int(g.session_ends_in.total_seconds())
        if g.get("session_ends_in")
        else 0,
    }


def _pages(area: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{area}.{name}" for name in names)


# The case-audit meeting's pages, which PQA and the panel both have: every "case_..."
# endpoint (rounds, cases, judgements, templates, analysis, report) and the rest.
_CASE_MEETING = ("case_", "add_learning", "remove_learning", "raise_concern", "close_concern")

# Each role's places in a partnership, in the order they appear in the navigation, with
# the pages that count as inside each place (so it stays highlighted there).
_AREAS = [
    (
        Role.AGENCY_LEAD,
        "Your agency",
        "agency.home",
        (
            "agency.home",
            "agency.task_list",
            "agency.criterion",
            "agency.add_evidence",
            "agency.check_answers",
            "agency.submitted",
            "agency.scorecard",
        ),
    ),
    (
        Role.AGENCY_LEAD,
        "Case audits",
        "agency.case_audits",
        (
            "agency.case_audits",
            "agency.case_audit",
            "agency.case_section",
            "agency.case_check_answers",
            "agency.case_submitted",
        ),
    ),
    (
        Role.AGENCY_LEAD,
        "Panels",
        "agency.panels",
        ("agency.panels", "agency.answer_challenge", "agency.feedback", "agency.feedback_letter"),
    ),
    (
        Role.AGENCY_LEAD,
        "Actions",
        "agency.actions",
        ("agency.actions", "agency.action", "agency.update_action"),
    ),
    (
        Role.PANEL_MEMBER,
        "Challenge panel",
        "panel.home",
        _pages(
            "panel",
            "home",
            "dashboard",
            "flags",
            "criteria",
            "view_return",
            "download_evidence",
            "panel",  # the panel's page, and panel_* below it
            "start_panel",
            "sign_off",
            "attendance",
            "pack",
            "raise_challenge",
            "resolve_challenge",
            "moderate",
            "record_outcome",
            "agree_action",
            "close_action",
        ),
    ),
    (Role.PANEL_MEMBER, "Case audits", "panel.case_rounds", _pages("panel", *_CASE_MEETING)),
    (Role.PQA_ADMIN, "Overview", "pqa.home", ("pqa.home",)),
    (
        Role.PQA_ADMIN,
        "Cycles",
        "pqa.cycles",
        (
            "pqa.cycles",
            "pqa.new_cycle",
            "pqa.cycle",
            "pqa.view_return",
            "pqa.reopen_return",
            "pqa.dashboard",
            "pqa.flags",
            "pqa.criteria",
        ),
    ),
    (
        Role.PQA_ADMIN,
        "Case audits",
        "pqa.case_rounds",
        _pages(
            "pqa",
            *_CASE_MEETING,
            "new_case_round",
            "edit_case_round",
            "open_case_round",
            "close_case_round",
            "reopen_case_round",
            "add_case",
            "edit_case",
            "remove_case",
            "reopen_case_return",
        ),
    ),
    (Role.PQA_ADMIN, "Actions", "pqa.actions", ("pqa.actions", "pqa.action", "pqa.close_action")),
    (
        Role.PQA_ADMIN,
        "Panels",
        "pqa.panels",
        (
            "pqa.panels",
            "pqa.schedule_panel",
            "pqa.panel",
            "pqa.panel_attendance",
            "pqa.pack",
            "pqa.reopen_panel",
            "pqa.moderation",
        ),
    ),
    (Role.PQA_ADMIN, "Frameworks", "frameworks.index", ("frameworks.",)),
    (
        Role.PQA_ADMIN,
        "Agencies",
        "pqa.agencies",
        ("pqa.agencies", "pqa.new_agency", "pqa.edit_agency"),
    ),
    (
        Role.PQA_ADMIN,
        "Users",
        "pqa.users",
        ("pqa.users", "pqa.new_user", "pqa.user_detail", "pqa.edit_user_details", "pqa.add_role"),
    ),
    (Role.PQA_ADMIN, "Audit trail", "pqa.audit_trail", ("pqa.audit_trail",)),
    (Role.PQA_ADMIN, "API tokens", "pqa.api_tokens", ("pqa.api_tokens", "pqa.new_api_token")),
    (Role.PQA_ADMIN, "Settings", "pqa.settings", ("pqa.settings",)),
]


def _navigation() -> list[dict]:
    user = g.get("user")
    partnership = g.get("partnership")
    if user is None:
        return []

    items = []
    if partnership is not None:
        roles = roles_in(user, partnership)
        current = request.endpoint or ""
        for role, text, endpoint, inside in _AREAS:
            if role in roles:
                href = url_for(endpoint, partnership_slug=partnership.slug)
                items.append({"text": text, "href": href, "active": current.startswith(inside)})
    if user.is_system_admin:
        items.append(
            {
                "text": "Partnerships",
                "href": url_for("admin.partnerships"),
                "active": request.endpoint == "admin.partnerships",
            }
        )
    return items
