"""The demo partnership `seed-demo` loads: enough agencies and people to try every role."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from . import clock
from .case_templates.library import load_builtin as load_builtin_case_templates
from .demo_case_audits import load_demo_case_audits
from .demo_returns import load_demo_panels, load_demo_returns
from .frameworks.library import load_builtin
from .models import Role, Sector
from .services import agencies as agency_service
from .services import partnerships as partnership_service
from .services import users as user_service
from .services.passwords import generate_password

DEMO_SLUG = "demo"
NEIGHBOUR_SLUG = "neighbour"

DEMO_AGENCIES = [
    ("Demo County Council Children's Services", Sector.LOCAL_AUTHORITY),
    ("Demo County Council Housing", Sector.LOCAL_AUTHORITY),
    ("Shire Constabulary", Sector.POLICE),
    ("Demo Hospitals NHS Foundation Trust", Sector.HEALTH),
    ("Demo Community Health NHS Trust", Sector.HEALTH),
    ("Demo Integrated Care Board", Sector.HEALTH),
    ("Demo Academy Trust", Sector.EDUCATION),
    ("Demo Further Education College", Sector.EDUCATION),
    ("Probation Service, Demo area", Sector.PROBATION),
    ("Demo Youth Justice Service", Sector.YOUTH_JUSTICE),
    ("Demo Family Support Charity", Sector.VOLUNTARY),
    ("Demo Young People's Sports Trust", Sector.VOLUNTARY),
    ("Demo Fire and Rescue Service", Sector.OTHER),
]

# The police force also serves the neighbouring partnership, as forces commonly do.
SHARED_AGENCY = "Shire Constabulary"

NEIGHBOUR_AGENCIES = [
    ("Neighbour Borough Council Children's Services", Sector.LOCAL_AUTHORITY),
    ("Neighbour Hospitals NHS Trust", Sector.HEALTH),
]

DEMO_ACCOUNTS = [
    ("pqa@example.org", "Priya Quayle", Role.PQA_ADMIN, None, "PQA administrator"),
    ("panel@example.org", "Patrick Nell", Role.PANEL_MEMBER, None, "Challenge panel member"),
    (
        "lead.police@example.org",
        "Leah Oakes",
        Role.AGENCY_LEAD,
        "Shire Constabulary",
        "Agency lead, Shire Constabulary",
    ),
    (
        "lead.health@example.org",
        "Hari Ellis",
        Role.AGENCY_LEAD,
        "Demo Hospitals NHS Foundation Trust",
        "Agency lead, Demo Hospitals NHS Foundation Trust",
    ),
]


def load_demo(
    session: Session, *, password: str | None, today: date | None = None
) -> tuple[list[tuple[str, str]], str]:
    """Create the demo partnerships, accounts, frameworks, Section 11 cycles and
    case-file audit rounds. Returns (accounts, password)."""
    password = password or generate_password()
    today = today or clock.today()
    demo = partnership_service.create_partnership(
        session,
        name="Demo Safeguarding Children Partnership",
        slug=DEMO_SLUG,
        contact_email="business.unit@example.org",
        by=None,
    )
    neighbour = partnership_service.create_partnership(
        session,
        name="Neighbour Safeguarding Children Partnership",
        slug=NEIGHBOUR_SLUG,
        contact_email="neighbour.unit@example.org",
        by=None,
    )
    agencies = {}
    for name, sector in DEMO_AGENCIES:
        link = agency_service.create_agency(
            session, partnership=demo, name=name, sector=sector, by=None
        )
        agencies[name] = link.agency
    agency_service.link_agency(
        session, partnership=neighbour, agency=agencies[SHARED_AGENCY], by=None
    )
    for name, sector in NEIGHBOUR_AGENCIES:
        agency_service.create_agency(
            session, partnership=neighbour, name=name, sector=sector, by=None
        )

    accounts = []
    users = {}
    for email, name, role, agency_name, description in DEMO_ACCOUNTS:
        users[email] = _account(
            session, demo, email, name, role, agencies.get(agency_name), password
        )
        accounts.append((email, description))
    leads = {
        agency_name: users[email]
        for email, _, role, agency_name, _ in DEMO_ACCOUNTS
        if role is Role.AGENCY_LEAD
    }
    # Every other demo agency has a lead too, so the returns they "wrote" have an author.
    for number, (agency_name, _) in enumerate(DEMO_AGENCIES, start=1):
        if agency_name not in leads:
            leads[agency_name] = _account(
                session,
                demo,
                f"lead.agency{number}@example.org",
                f"Safeguarding Lead {number}",
                Role.AGENCY_LEAD,
                agencies[agency_name],
                password,
            )
    accounts.append(("lead.agency1@example.org etc.", "Leads of the other demo agencies"))

    versions = load_builtin(session)
    case_templates = load_builtin_case_templates(session)
    nine_standards = next(v for v in versions if v.framework.key == "s11-nine-standards")
    load_demo_returns(
        session,
        partnership=demo,
        version=nine_standards,
        agencies=agencies,
        leads=leads,
        pqa=users["pqa@example.org"],
        today=today,
    )
    load_demo_panels(session, partnership=demo, chair=users["panel@example.org"], today=today)
    load_demo_case_audits(
        session,
        partnership=demo,
        versions=case_templates,
        agencies=agencies,
        leads=leads,
        pqa=users["pqa@example.org"],
        panel=users["panel@example.org"],
        today=today,
    )
    return accounts, password


def _account(session, partnership, email, name, role, agency, password):
    user, _ = user_service.create_user(
        session, email=email, name=name, partnership=partnership, password=password, by=None
    )
    user_service.grant_role(
        session, user=user, partnership=partnership, role=role, agency=agency, by=None
    )
    return user
