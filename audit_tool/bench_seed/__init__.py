"""`flask --app wsgi bench-seed`: a deployment at London scale for the load and scale
benchmarks. By default 32 partnerships of 150 agencies and one of 400, a 60-criterion
framework, two Section 11 cycles per partnership (one closed, one open in the middle of
its panel season), evidence, challenge panels with moderated ratings, the action tracker
and two case-file audit rounds per partnership.

Rows go in with bulk inserts (the demo's one-service-call-per-answer would take hours
at this size), shaped as the services would leave them: every return's state matches
its answers, every submitted answer passes the checks at submission, and the pages
render all of it. Nothing is written to the audit trail: the data is made up, and the
trail records what people did.

Random choices come from one seeded generator, so the same options give the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..case_templates.library import load_builtin as load_builtin_case_templates
from ..frameworks.library import load_builtin
from ..models import Agency, Membership, Partnership, PartnershipAgency, Role, Sector, User
from ..services.passwords import hash_password
from .case_audits import seed_case_audits
from .framework import load_bench_framework
from .rows import Counts, SeededAgency, SeededPartnership, insert_returning
from .section11 import seed_section11

LARGE_SLUG = "bench-large"

# The 32 London boroughs, for partnership names (a benchmark asking for more numbers them).
PLACES = [
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon",
    "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey",
    "Harrow", "Havering", "Hillingdon", "Hounslow", "Islington", "Kensington and Chelsea",
    "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge",
    "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets", "Waltham Forest",
    "Wandsworth", "Westminster",
]  # fmt: skip

# A partnership's agencies by sector, roughly as a London borough's are: mostly schools,
# then health and voluntary organisations, one police force and one probation service.
SECTOR_MIX = [
    (Sector.EDUCATION, 0.46),
    (Sector.HEALTH, 0.14),
    (Sector.VOLUNTARY, 0.16),
    (Sector.LOCAL_AUTHORITY, 0.10),
    (Sector.OTHER, 0.08),
    (Sector.YOUTH_JUSTICE, 0.02),
    (Sector.POLICE, 0.02),
    (Sector.PROBATION, 0.02),
]
AGENCY_KINDS = {
    Sector.EDUCATION: ["Primary School", "Academy", "High School", "College"],
    Sector.HEALTH: ["GP Federation", "NHS Trust", "Community Health Service", "Dental Practice"],
    Sector.VOLUNTARY: ["Youth Club", "Family Support Charity", "Sports Trust", "Faith Group"],
    Sector.LOCAL_AUTHORITY: ["Children's Services", "Housing", "Early Help", "Leisure"],
    Sector.OTHER: ["Fire and Rescue", "Transport Safety Team", "Library Service"],
    Sector.YOUTH_JUSTICE: ["Youth Justice Service"],
    Sector.POLICE: ["Police"],
    Sector.PROBATION: ["Probation Service"],
}
PANEL_MEMBERS = 3


@dataclass(frozen=True)
class Scale:
    partnerships: int = 32
    agencies: int = 150
    large_agencies: int = 400  # 0: no large partnership
    criteria: int = 60
    seed: int = 2026


def holds_partnerships(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Partnership)))


def seed(
    session: Session,
    *,
    scale: Scale,
    password: str,
    today: date,
    seeded: Callable[[SeededPartnership, Counts], None] = lambda _p, _c: None,
) -> Counts:
    """Add the benchmark's partnerships and everything in them. Flushes, never commits:
    `seeded` is called after each partnership, so a command can commit as it goes and
    report progress. Returns the totals."""
    rng = random.Random(scale.seed)  # noqa: S311 (made-up data, not security)  # nosec B311
    load_builtin(session)
    case_templates = load_builtin_case_templates(session)
    version = load_bench_framework(session, criteria=scale.criteria)
    password_hash = hash_password(password)  # one hash for every account: scrypt is slow
    sizes = [(f"bench-{n + 1:02d}", _place(n), scale.agencies) for n in range(scale.partnerships)]
    if scale.large_agencies:
        sizes.append((LARGE_SLUG, "Greater London", scale.large_agencies))
    totals = Counts()
    for number, (slug, place, size) in enumerate(sizes):
        partnership = _people(session, rng, slug=slug, place=place, size=size, pw=password_hash)
        counts = Counts(partnerships=1, agencies=size)
        counts += seed_section11(session, rng, partnership, version=version, today=today)
        counts += seed_case_audits(
            session, rng, partnership, versions=case_templates, today=today, turn=number
        )
        session.flush()
        totals += counts
        seeded(partnership, counts)
    return totals


def _place(n: int) -> str:
    place = PLACES[n % len(PLACES)]
    return place if n < len(PLACES) else f"{place} {n // len(PLACES) + 1}"


def _people(
    session: Session, rng: random.Random, *, slug: str, place: str, size: int, pw: str
) -> SeededPartnership:
    """The partnership, its agencies and its people: a PQA administrator, the challenge
    panel (the first member chairs) and a lead for every agency."""
    [partnership_id] = insert_returning(
        session,
        Partnership,
        [
            {
                "name": f"{place} Safeguarding Children Partnership",
                "slug": slug,
                "contact_email": f"business.unit@{slug}.example.org",
            }
        ],
    )
    sectors = _sectors(rng, size)
    names = [
        f"{place} {rng.choice(AGENCY_KINDS[sector])} {n:03d}"
        for n, sector in enumerate(sectors, start=1)
    ]
    agency_ids = insert_returning(
        session,
        Agency,
        [{"name": name, "sector": sector} for name, sector in zip(names, sectors, strict=True)],
    )
    session.execute(
        insert(PartnershipAgency),
        [{"partnership_id": partnership_id, "agency_id": agency_id} for agency_id in agency_ids],
    )
    people = [
        (f"pqa@{slug}.example.org", f"{place} PQA Lead", Role.PQA_ADMIN, None),
        *(
            (f"panel{n}@{slug}.example.org", f"{place} Panel Member {n}", Role.PANEL_MEMBER, None)
            for n in range(1, PANEL_MEMBERS + 1)
        ),
        *(
            (f"lead{n:03d}@{slug}.example.org", f"Safeguarding Lead {n}", Role.AGENCY_LEAD, agency)
            for n, agency in enumerate(agency_ids, start=1)
        ),
    ]
    user_ids = insert_returning(
        session,
        User,
        [{"email": email, "name": name, "password_hash": pw} for email, name, _r, _a in people],
    )
    session.execute(
        insert(Membership),
        [
            {"user_id": user, "partnership_id": partnership_id, "role": role, "agency_id": agency}
            for user, (_e, _n, role, agency) in zip(user_ids, people, strict=True)
        ],
    )
    leads = user_ids[1 + PANEL_MEMBERS :]
    return SeededPartnership(
        id=partnership_id,
        slug=slug,
        name=f"{place} Safeguarding Children Partnership",
        pqa_id=user_ids[0],
        panel_ids=user_ids[1 : 1 + PANEL_MEMBERS],
        agencies=[
            SeededAgency(id=agency_id, name=name, sector=sector, lead_id=lead)
            for agency_id, name, sector, lead in zip(agency_ids, names, sectors, leads, strict=True)
        ],
    )


def _sectors(rng: random.Random, size: int) -> Sequence[Sector]:
    """`size` sectors in the mix above, every sector present once there is room for it."""
    sectors = [sector for sector, _ in SECTOR_MIX][:size]
    weights = [share for _, share in SECTOR_MIX]
    sectors += rng.choices([sector for sector, _ in SECTOR_MIX], weights, k=size - len(sectors))
    rng.shuffle(sectors)
    return sectors
