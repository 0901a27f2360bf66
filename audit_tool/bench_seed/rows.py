"""What the seeding steps share: the shapes they pass on, bulk inserts, and the made-up
words the benchmark's answers are written in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..models import Action, ActionStatus, ActionUpdate, Sector


@dataclass(frozen=True)
class SeededAgency:
    id: int
    name: str
    sector: Sector
    lead_id: int


@dataclass(frozen=True)
class SeededPartnership:
    id: int
    slug: str
    name: str
    pqa_id: int
    panel_ids: list[int]  # the first chairs its panels
    agencies: list[SeededAgency] = field(default_factory=list)


@dataclass
class Counts:
    """What was added, for the command's report."""

    partnerships: int = 0
    agencies: int = 0
    answers: int = 0
    evidence_items: int = 0
    actions: int = 0
    moderated_ratings: int = 0
    case_returns: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


# Core inserts into the model's table: the ORM's bulk insert splits rows into batches by
# which values are None, and joining their RETURNING rows back up takes minutes here.


def insert_returning(session: Session, model, rows: Sequence[dict]) -> list[int]:
    """Insert the rows in one executemany and return their ids, in the rows' order."""
    if not rows:
        return []
    table = model.__table__
    if session.get_bind().dialect.name == "sqlite":
        # SQLite gives each new row the highest id so far plus one, in the order of the
        # rows, so the ids sorted are in the rows' order. (Asking SQLAlchemy to keep the
        # order makes it insert one row per statement on SQLite.)
        return sorted(session.execute(insert(table).returning(table.c.id), rows).scalars())
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def insert_all(session: Session, model, rows: Sequence[dict]) -> None:
    if rows:
        session.execute(insert(model.__table__), rows)


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a day, for the timestamps of things that happened then."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def action_row(rng, partnership, agency, *, source, description, due_on, closed_share, **links):
    """An action in the tracker, closed with the chance given, otherwise open or under
    way; `links` says what it came from."""
    status = ActionStatus.CLOSED if rng.random() < closed_share else rng.choice(list(ActionStatus))
    closed = status is ActionStatus.CLOSED
    return {
        "partnership_id": partnership.id,
        "agency_id": agency.id,
        "source": source,
        "assessment_id": None,
        "criterion_id": None,
        "panel_agency_id": None,
        "challenge_id": None,
        "case_id": None,
        **links,
        "description": description,
        "owner": "Head of Safeguarding",
        "due_on": due_on,
        "status": status,
        "closed_at": at(due_on) if closed else None,
        "closed_by_id": partnership.pqa_id if closed else None,
        # Who writes progress notes on it, when it is under way.
        "_lead": agency.lead_id,
    }


def add_actions(session: Session, rows: list[dict], counts: Counts) -> None:
    """Insert `action_row`s, with a progress note on each one under way."""
    leads = [row.pop("_lead") for row in rows]
    ids = insert_returning(session, Action, rows)
    insert_all(
        session,
        ActionUpdate,
        [
            {
                "action_id": action_id,
                "note": "Policy drafted; consultation with team leaders under way.",
                "evidence_reference": "Draft policy v0.3",
                "by_id": lead,
            }
            for action_id, lead, row in zip(ids, leads, rows, strict=True)
            if row["status"] is ActionStatus.IN_PROGRESS
        ],
    )
    counts.actions += len(rows)


EVIDENCE = [
    "Safeguarding children policy, version {n}, approved by the board and reviewed within "
    "the last three years. Published on the intranet and linked from the induction pack. "
    "Managers confirm in supervision that new starters have read it.",
    "Quarterly safeguarding assurance report to the executive team; the last four reports "
    "are in the board papers. Internal audit of {n} case records this year found referral "
    "decisions recorded with reasons in most of them.",
    "Training records show {p}% of staff in roles working with children are up to date with "
    "safeguarding training at the right level. Compliance is reported monthly and teams "
    "below the expected rate have a plan to catch up.",
    "Staff survey ({n} responses): most staff can name the safeguarding lead and know how "
    "to raise a concern or escalate one. Results were discussed at the staff forum and "
    "two actions agreed.",
    "Single central record checked by the governors' safeguarding link in the spring term; "
    "{n} files sampled, all with enhanced checks and references before the start date.",
    "Allegations against staff are referred to the LADO; a log of {n} referrals this year "
    "shows each was reported within one working day and followed up to a conclusion.",
]
IMPACT = [
    "Audit of referrals shows they are timely and contain the information the front door "
    "needs. Feedback from the front door is shared with teams each quarter.",
    "Children's feedback forms and the young people's advisory group have shaped two "
    "changes to how we explain what happens after a concern is raised.",
    "Re-audit six months later showed better recording of the child's voice in {p}% of "
    "the records sampled, up from the first audit.",
]
IMPROVEMENTS = [
    "Embed the arrangements across all teams, not only the ones that deal with children every day.",
    "Show the difference the arrangements make for children, not only that they exist.",
]
ACTIONS = [
    "Refresh the policy and relaunch it through team briefings",
    "Add a safeguarding question to every supervision record and audit a sample",
    "Target training at teams below the expected completion rate",
    "Commission a multi-agency audit of escalations and report to the board",
]
EVIDENCE_TITLES = [
    ("Safeguarding policy", "Intranet: policies/safeguarding-children"),
    ("Board minutes", "Board papers, item {n}"),
    ("Training compliance report", "Learning system report {n}"),
    ("Case file audit", "QA audit programme, audit {n}"),
]
