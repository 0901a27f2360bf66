"""Demo Section 11 cycles: a closed previous cycle with submitted returns, and an open
current cycle with returns in every state, so trackers and flags have something to show.

Everything goes through the same services the app uses, with a fixed random seed so the
demo is the same every time.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Agency, FrameworkVersion, Partnership, User
from .services import assessments as returns_service
from .services import cycles as cycle_service
from .services.assessments import AnswerInput, ReturnContents

EVIDENCE = [
    "Safeguarding children policy, version {n}, approved by the board and reviewed within "
    "the last three years. Published on the intranet and linked from the induction pack.",
    "Quarterly safeguarding assurance report to the executive team; the last four reports "
    "are in the board papers. Internal audit of {n} case records this year.",
    "Training records show {p}% of staff in roles working with children are up to date with "
    "safeguarding training at the right level.",
    "Staff survey ({n} responses): most staff can name the safeguarding lead and know how "
    "to raise a concern or escalate one.",
]
IMPACT = [
    "Audit of referrals shows they are timely and contain the information the front door "
    "needs. Feedback from the front door is shared with teams each quarter.",
    "Children's feedback forms and the young people's advisory group have shaped two "
    "changes to how we explain what happens after a concern is raised.",
]
ACTIONS = [
    "Refresh the policy and relaunch it through team briefings",
    "Add a safeguarding question to every supervision record and audit a sample",
    "Target training at teams below the expected completion rate",
]


def load_demo_returns(
    session: Session,
    *,
    partnership: Partnership,
    version: FrameworkVersion,
    agencies: dict[str, Agency],
    leads: dict[str, User],
    pqa: User,
    today: date,
) -> None:
    rng = random.Random(11)  # noqa: S311 (demo data, not security)  # nosec B311
    previous = cycle_service.create_cycle(
        session,
        partnership=partnership,
        name="Section 11 audit 2024 to 2026",
        framework_version=version,
        opens_on=date(2024, 4, 1),
        due_on=date(2024, 9, 30),
        panel_from=date(2024, 11, 1),
        panel_to=date(2024, 12, 13),
        sectors=None,
        by=pqa,
    )
    cycle_service.open_cycle(session, cycle=previous, by=pqa)
    not_submitted_before = {"Demo Young People's Sports Trust"}
    for assessment in previous.assessments:
        name = assessment.agency.name
        if name in not_submitted_before:
            continue
        lead = leads.get(name, pqa)
        returns_service.start_return(session, assessment=assessment, carry_from=None, by=lead)
        contents = returns_service.load_return(session, assessment)
        _answer_all(session, assessment, contents, lead, rng, date(2024, 9, 1), strength=0.6)
        returns_service.submit_return(
            session,
            assessment=assessment,
            declaration_name="Director of Safeguarding",
            declaration_role="Executive lead for safeguarding",
            by=lead,
            today=date(2024, 9, 1),
        )
    cycle_service.close_cycle(session, cycle=previous, by=pqa)

    current = cycle_service.create_cycle(
        session,
        partnership=partnership,
        name="Section 11 audit 2026 to 2028",
        framework_version=version,
        opens_on=today - timedelta(days=30),
        due_on=today + timedelta(days=60),
        panel_from=today + timedelta(days=90),
        panel_to=today + timedelta(days=120),
        sectors=None,
        by=pqa,
    )
    cycle_service.open_cycle(session, cycle=current, by=pqa)
    # A mix of states. The demo leads' own agencies are left for them: the police
    # return is not started (so it can start from last cycle's), the hospital's is
    # part-way through.
    plan = {
        "Shire Constabulary": "not_started",
        "Demo Hospitals NHS Foundation Trust": "partial",
        "Demo County Council Housing": "not_started",
        "Demo Young People's Sports Trust": "not_started",
        "Demo Fire and Rescue Service": "partial",
        "Demo Integrated Care Board": "carried",
    }
    for assessment in current.assessments:
        name = assessment.agency.name
        state = plan.get(name, "submitted")
        if state == "not_started":
            continue
        lead = leads.get(name, pqa)
        carry = returns_service.previous_return(session, assessment)
        returns_service.start_return(
            session,
            assessment=assessment,
            carry_from=carry if state == "carried" else None,
            by=lead,
        )
        if state == "carried":
            continue
        contents = returns_service.load_return(session, assessment)
        if state == "partial":
            first_two = contents.standards[:2]
            contents = ReturnContents(contents.assessment, contents.levels, first_two)
        _answer_all(session, assessment, contents, lead, rng, today, strength=0.7)
        if state == "submitted":
            returns_service.submit_return(
                session,
                assessment=assessment,
                declaration_name="Director of Safeguarding",
                declaration_role="Executive lead for safeguarding",
                by=lead,
                today=today,
            )
    session.flush()


def _answer_all(session, assessment, contents, by, rng, today, *, strength: float) -> None:
    levels = contents.levels
    for standard in contents.standards:
        for entry in standard.entries:
            # Mostly good or better, with some weaker answers so flags have work to do.
            position = min(len(levels) - 1, int(rng.random() ** (1 - strength) * len(levels)))
            level = levels[position]
            n = rng.randint(3, 40)
            answer = AnswerInput(
                level_key=level.key,
                evidence=rng.choice(EVIDENCE).format(n=n, p=rng.randint(70, 99)),
                impact=rng.choice(IMPACT) if level.needs_evidence else "",
                improvement="Embed the arrangements across all teams" if level.needs_action else "",
                action=rng.choice(ACTIONS) if level.needs_action else "",
                action_owner="Head of Safeguarding" if level.needs_action else "",
                action_due=today + timedelta(days=rng.randint(60, 240))
                if level.needs_action
                else None,
            )
            returns_service.save_answer(
                session,
                assessment=assessment,
                criterion=entry.criterion,
                seen_version=entry.response.version if entry.response else 0,
                answer=answer,
                by=by,
            )


def load_demo_panels(
    session: Session,
    *,
    partnership: Partnership,
    chair: User,
    today: date,
) -> None:
    """A signed-off panel in the previous cycle (moderated ratings; actions, now overdue)
    and a panel scheduled in the current one."""
    from .models import ActionSource, AuditCycle, Outcome
    from .services import actions as action_service
    from .services import panels as panel_service

    cycles = sorted(
        session.scalars(select(AuditCycle).where(AuditCycle.partnership_id == partnership.id)),
        key=lambda c: c.opens_on,
    )
    previous, current = cycles[0], cycles[-1]
    held_on = date(2024, 11, 12)
    attending = [
        a
        for a in previous.assessments
        if a.agency.name
        in {
            "Shire Constabulary",
            "Demo Hospitals NHS Foundation Trust",
            "Demo County Council Children's Services",
            "Demo Academy Trust",
        }
    ]
    panel = panel_service.schedule_panel(
        session,
        cycle=previous,
        held_on=held_on,
        starts_at="09:30",
        place="County Hall, committee room 1",
        chair=chair,
        members=[],
        assessments=attending,
        by=chair,
        today=held_on,
    )
    panel_service.start_panel(session, panel=panel, by=chair)
    levels = sorted(previous.framework_version.levels, key=lambda level: level.position)
    outcomes = [
        Outcome.ASSURED,
        Outcome.PARTIALLY_ASSURED,
        Outcome.PARTIALLY_ASSURED,
        Outcome.NOT_ASSURED,
    ]
    for attendance, outcome in zip(panel.attendances, outcomes, strict=True):
        contents = returns_service.load_return(session, attendance.assessment)
        rated = [
            e
            for s in contents.standards
            for e in s.entries
            if e.response and e.response.level and e.response.level.position > 0
        ]
        for entry in rated[:2]:
            lower = levels[entry.response.level.position - 1]
            panel_service.moderate(
                session,
                attendance=attendance,
                criterion=entry.criterion,
                level_key=lower.key,
                rationale=(
                    "The evidence shows the arrangement exists, not that it works in practice."
                ),
                by=chair,
            )
        challenge = panel_service.raise_challenge(
            session,
            attendance=attendance,
            question="How do you know staff use the escalation policy?",
            criterion=rated[0].criterion if rated else None,
            standard=None,
            by=chair,
        )
        panel_service.answer_challenge(
            session,
            challenge=challenge,
            response="Audit of 20 cases in 2024; findings in our QA report.",
            by=chair,
        )
        panel_service.resolve_challenge(session, challenge=challenge, satisfied=True, by=chair)
        action_service.create_action(
            session,
            partnership=partnership,
            agency=attendance.assessment.agency,
            source=ActionSource.PANEL,
            description="Audit use of the escalation policy and report back",
            owner="Named safeguarding lead",
            due_on=date(2025, 3, 31),
            today=held_on,
            by=chair,
            assessment=attendance.assessment,
            panel_agency=attendance,
            challenge=challenge,
        )
        panel_service.record_outcome(
            session,
            attendance=attendance,
            outcome=outcome,
            summary=(
                "Strong leadership commitment. Evidence of impact on children needs strengthening."
            ),
            private_notes="",
            by=chair,
        )
    panel_service.sign_off(session, panel=panel, by=chair)
    # The demo's history: signed off the week after the meeting, not today.
    panel.signed_off_at = datetime.combine(held_on + timedelta(days=7), time(17), tzinfo=UTC)

    submitted = [a for a in current.assessments if a.status.value == "submitted"][:4]
    panel_service.schedule_panel(
        session,
        cycle=current,
        held_on=today + timedelta(days=100),
        starts_at="10:00",
        place="Online (the link is sent to attendees)",
        chair=chair,
        members=[],
        assessments=submitted,
        by=chair,
        today=today,
    )
    session.flush()
