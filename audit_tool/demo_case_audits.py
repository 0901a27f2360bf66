"""Demo case-file audits: a domestic abuse round whose moderation meeting has been held
and which is now closed, and a neglect round open now, with the demo leads' own case
returns in every state (not started, draft, submitted).

Everything goes through the services the pages use, so the audit trail reads as real use
would write it. The services stamp records with the current time; the closed round's
history is then moved back to when it happened (returns submitted before the deadline,
one a few days late, the meeting's records on the meeting day), as `demo_returns` does
for the signed-off panel. Every piece of text passes `identifiers.find_identifiers`:
children are known only by their case reference, and people by their role.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from .case_grading import Grade, YesPartlyNo
from .demo_case_audit_texts import (
    FREE_TEXT,
    GRADED_COMMENTS,
    JUDGEMENT_RATIONALES,
    REFLECTIONS,
    YES_PARTLY_NO_COMMENTS,
)
from .models import (
    AgeBand,
    Agency,
    AuditCase,
    CaseReturn,
    CaseTemplateVersion,
    LearningTheme,
    Partnership,
    PlanType,
    QuestionKind,
    User,
)
from .services import actions as action_service
from .services import case_moderation as moderation
from .services import case_returns as returns_service
from .services import case_rounds as rounds

CHILDRENS_SERVICES = "Demo County Council Children's Services"
HOUSING = "Demo County Council Housing"
POLICE = "Shire Constabulary"
HOSPITALS = "Demo Hospitals NHS Foundation Trust"
COMMUNITY_HEALTH = "Demo Community Health NHS Trust"
ACADEMY = "Demo Academy Trust"
COLLEGE = "Demo Further Education College"
PROBATION = "Probation Service, Demo area"
YOUTH_JUSTICE = "Demo Youth Justice Service"
FAMILY_SUPPORT = "Demo Family Support Charity"

# One letter per graded question of the template, in page order.
_GRADES = {
    "O": Grade.OUTSTANDING,
    "G": Grade.GOOD,
    "R": Grade.REQUIRES_IMPROVEMENT,
    "I": Grade.INADEQUATE,
}
SUBMITTED, DRAFT, NOT_STARTED = "submitted", "draft", "not_started"


@dataclass(frozen=True)
class DemoReturn:
    agency: str
    grades: str  # e.g. "GRGGRG": the agency's grade for each graded question, in order
    state: str = SUBMITTED
    # Days before the deadline it was submitted (negative: after it).
    submitted_early: int = 7
    # Comments telling this case's story, by question key, in place of the usual ones.
    comments: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoCase:
    age_band: AgeBand
    plan_type: PlanType
    selection_reason: str
    returns: tuple[DemoReturn, ...]
    overall: str = ""  # the meeting's overall grade letter; "" while not moderated
    overall_rationale: str = ""
    # The meeting's section judgements where it did not settle on the most common grade.
    judgements: dict[str, tuple[str, str]] = field(default_factory=dict)
    learning: tuple[tuple[LearningTheme, str], ...] = ()


# -- The rounds ------------------------------------------------------------------------------

DOMESTIC_ABUSE_CASES = (
    DemoCase(
        AgeBand.AGE_5_9,
        PlanType.CHILD_PROTECTION,
        "Three police call-outs to the home in the period; on a child protection plan for "
        "emotional abuse.",
        (
            DemoReturn(CHILDRENS_SERVICES, "RRGRGR", submitted_early=3),
            DemoReturn(
                POLICE,
                "GGGGRG",
                submitted_early=12,
                comments={
                    "joint-notifications": "Each call-out was notified to children's "
                    "social care the same day, through the usual police referral."
                },
            ),
            DemoReturn(HOSPITALS, "GRGRRG", submitted_early=5),
            DemoReturn(
                ACADEMY,
                "RRRIGR",
                submitted_early=1,
                comments={
                    "joint-notifications": "School was not told about two of the three "
                    "call-outs and learned of them from the child, days later."
                },
            ),
        ),
        overall="R",
        overall_rationale="Agencies recognised the abuse and the plan kept the child "
        "safer, but information about incidents did not reach school, and the child's "
        "own account of home was not brought to the conference.",
        judgements={
            "joint-working": (
                "R",
                "Police shared each incident with children's social care promptly, but "
                "school was not told about two of them. The meeting agreed school's view "
                "reflects the child's experience: the people who saw the child every day "
                "did not know.",
            )
        },
        learning=(
            (
                LearningTheme.INFORMATION_SHARING,
                "Police notifications reached children's social care but not school. "
                "Agencies should confirm that school is told before the start of the next "
                "school day after an incident.",
            ),
            (
                LearningTheme.VOICE_OF_CHILD,
                "The child told school staff what home was like; this was not shared with "
                "the conference, so the plan was built on the adults' accounts.",
            ),
        ),
    ),
    DemoCase(
        AgeBand.UNDER_1,
        PlanType.CHILD_IN_NEED,
        "Disclosure of domestic abuse to the midwife during pregnancy; referred to "
        "children's social care before the birth.",
        (
            DemoReturn(
                HOSPITALS,
                "GGGGGO",
                submitted_early=14,
                comments={
                    "recognition-identify": "The midwife asked about abuse when the "
                    "mother was seen alone at the booking appointment, and referred the "
                    "same day."
                },
            ),
            DemoReturn(COMMUNITY_HEALTH, "GGGGRG", submitted_early=9),
            DemoReturn(POLICE, "GGRGGG", submitted_early=6),
            DemoReturn(CHILDRENS_SERVICES, "GGGGGG", submitted_early=2),
        ),
        overall="G",
        overall_rationale="The disclosure was made because the midwife asked when the "
        "mother was alone, and agencies acted on it before the birth. The father was "
        "not seen by health services, which left a gap in the assessment.",
        learning=(
            (
                LearningTheme.FATHERS_AND_MALE_CARERS,
                "The father was not seen by health services during the pregnancy or after "
                "the birth; his history was known only to the police.",
            ),
            (
                LearningTheme.PROFESSIONAL_CURIOSITY,
                "The midwife's routine enquiry, made when the mother was seen alone, led "
                "to the disclosure: good practice to share across the partnership.",
            ),
        ),
    ),
    DemoCase(
        AgeBand.AGE_10_15,
        PlanType.EARLY_HELP,
        "Early help assessment after the child spoke to a teacher about arguments at "
        "home; repeated lateness and anxiety in class.",
        (
            DemoReturn(CHILDRENS_SERVICES, "GRRGGG", submitted_early=4),
            DemoReturn(ACADEMY, "OGGGOG", submitted_early=10),
            DemoReturn(FAMILY_SUPPORT, "GGGOOG", submitted_early=8),
        ),
        overall="G",
        overall_rationale="Early help was the right response and the family engaged "
        "well. The step-down plan did not say how school would notice if the abuse "
        "started again.",
        learning=(
            (
                LearningTheme.TRANSITIONS,
                "When early help closed, the plan did not say who would notice if the "
                "abuse returned. Step-down plans should name the agency that keeps watch.",
            ),
        ),
    ),
    DemoCase(
        AgeBand.AGE_16_17,
        PlanType.CHILD_PROTECTION,
        "The mother's partner is known to probation for abuse of previous partners; the "
        "young person is also known to the youth justice service.",
        (
            DemoReturn(CHILDRENS_SERVICES, "RIIRRR", submitted_early=2),
            DemoReturn(POLICE, "RRIRRR", submitted_early=11),
            DemoReturn(
                PROBATION,
                "RIRRRR",
                submitted_early=-3,
                comments={
                    "assessment-pattern": "Probation held the partner's history with two "
                    "previous partners. It was not asked for, and we did not offer it."
                },
            ),
            DemoReturn(
                YOUTH_JUSTICE,
                "GRRRGR",
                submitted_early=6,
                comments={
                    "voice-experience": "The young person's account of home is recorded "
                    "at every session, including that they did not feel safe there."
                },
            ),
            DemoReturn(
                COLLEGE,
                "RRRIRR",
                submitted_early=5,
                comments={
                    "recognition-identify": "Tutors noticed the young person was "
                    "withdrawn and raised it twice with children's social care."
                },
            ),
        ),
        overall="I",
        overall_rationale="The partner's history was known to probation but not used in "
        "the assessment; the plan relied on the mother, and the young person's own "
        "account of feeling unsafe was not acted on.",
        judgements={
            "planning": (
                "I",
                "Most agencies graded their own part Requires improvement, but together "
                "the plan left the mother responsible for the young person's safety while "
                "the partner's history was known. The meeting judged it Inadequate.",
            )
        },
        learning=(
            (
                LearningTheme.RISK_ASSESSMENT,
                "The partner's history with previous partners was known to probation but "
                "not considered in the children's social care assessment.",
            ),
            (
                LearningTheme.INFORMATION_SHARING,
                "Probation and children's social care each held part of the history; "
                "neither asked the other.",
            ),
            (
                LearningTheme.ESCALATION,
                "The college raised its worries twice without a response and did not "
                "escalate through the partnership's procedure.",
            ),
        ),
    ),
)

NEGLECT_CASES = (
    DemoCase(
        AgeBand.AGE_1_4,
        PlanType.CHILD_PROTECTION,
        "On a child protection plan for neglect for over a year; weight concerns and "
        "missed health appointments.",
        (
            DemoReturn(CHILDRENS_SERVICES, "RRGRRR", submitted_early=24),
            DemoReturn(POLICE, "GGGRGG", submitted_early=22),
            DemoReturn(HOSPITALS, "RG----", state=DRAFT),
            DemoReturn(COMMUNITY_HEALTH, "GRRGGG", submitted_early=26),
            DemoReturn(FAMILY_SUPPORT, "", state=NOT_STARTED),
        ),
    ),
    DemoCase(
        AgeBand.AGE_5_9,
        PlanType.CHILD_IN_NEED,
        "Repeated concerns from school about hunger and hygiene; child in need plan "
        "after an assessment.",
        (
            DemoReturn(CHILDRENS_SERVICES, "RG----", state=DRAFT),
            DemoReturn(POLICE, "G-----", state=DRAFT),
            DemoReturn(HOSPITALS, "", state=NOT_STARTED),
            DemoReturn(ACADEMY, "GRRGGR", submitted_early=23),
        ),
    ),
    DemoCase(
        AgeBand.AGE_10_15,
        PlanType.CHILD_PROTECTION,
        "Older child on a plan for neglect; poor school attendance and the family "
        "living in overcrowded housing.",
        (
            DemoReturn(POLICE, "", state=NOT_STARTED),
            DemoReturn(HOSPITALS, "RRRGRR", submitted_early=25),
            DemoReturn(CHILDRENS_SERVICES, "RRGGRR", submitted_early=26),
            DemoReturn(HOUSING, "GRGGRG", submitted_early=22),
            DemoReturn(ACADEMY, "RRG---", state=DRAFT),
        ),
    ),
    DemoCase(
        AgeBand.UNDER_1,
        PlanType.EARLY_HELP,
        "Early help for a young parent with a new baby; health visitor concerns about "
        "feeding and the home.",
        (
            DemoReturn(COMMUNITY_HEALTH, "GG----", state=DRAFT),
            DemoReturn(CHILDRENS_SERVICES, "", state=NOT_STARTED),
            DemoReturn(FAMILY_SUPPORT, "GGGGGG", submitted_early=23),
        ),
    ),
)


def load_demo_case_audits(
    session: Session,
    *,
    partnership: Partnership,
    versions: Iterable[CaseTemplateVersion],
    agencies: dict[str, Agency],
    leads: dict[str, User],
    pqa: User,
    panel: User,
    today: date,
) -> None:
    by_key = {version.template.key: version for version in versions}
    _domestic_abuse_round(
        session,
        partnership=partnership,
        version=by_key["domestic-abuse"],
        agencies=agencies,
        leads=leads,
        pqa=pqa,
        panel=panel,
        today=today,
    )
    _neglect_round(
        session,
        partnership=partnership,
        version=by_key["neglect"],
        agencies=agencies,
        leads=leads,
        pqa=pqa,
        today=today,
    )
    session.flush()


def _domestic_abuse_round(session, *, partnership, version, agencies, leads, pqa, panel, today):
    """Held and closed: every return in (one late), the meeting's judgements, learning
    and actions, a concern followed up and closed, and one still open."""
    due_on = today - timedelta(days=30)
    meeting = today - timedelta(days=10)
    lookback_to = today - timedelta(days=75)
    audit_round = _set_up_round(
        session,
        partnership=partnership,
        version=version,
        name=f"Domestic abuse audit, {meeting:%B %Y}",
        lookback=(lookback_to - timedelta(days=364), lookback_to),
        due_on=due_on,
        moderation_on=meeting,
        cases=DOMESTIC_ABUSE_CASES,
        agencies=agencies,
        pqa=pqa,
    )
    reflections = _Texts(wrap=True)
    for case, plan in zip(audit_round.cases, DOMESTIC_ABUSE_CASES, strict=True):
        _write_returns(session, case, plan, leads=leads, reflections=reflections, due_on=due_on)
        _moderate(session, case, plan, chair=panel)

    first, _, _, last = audit_round.cases
    police, school, council = agencies[POLICE], agencies[ACADEMY], agencies[CHILDRENS_SERVICES]
    notify = moderation.add_case_action(
        session,
        case=first,
        agency=police,
        description="Notify the child's school of every domestic abuse incident before the "
        "start of the next school day, and check a sample each quarter.",
        owner="Detective inspector, public protection unit",
        due_on=meeting + timedelta(days=60),
        today=meeting,
        by=pqa,
    )
    action_service.add_update(
        session,
        action=notify,
        note="Notification process agreed with the schools' safeguarding leads; the first "
        "quarterly sample is booked.",
        evidence_reference="Public protection unit briefing note, version 2",
        by=leads[POLICE],
    )
    moderation.add_case_action(
        session,
        case=first,
        agency=school,
        description="Record the child's own words when they talk about home, and send them "
        "to the social worker before each core group.",
        owner="Designated safeguarding lead",
        due_on=meeting + timedelta(days=45),
        today=meeting,
        by=pqa,
    )
    moderation.add_case_action(
        session,
        case=last,
        agency=council,
        description="Ask probation for the history of the person causing harm at the start "
        "of every assessment where domestic abuse is known.",
        owner="Head of service, assessment teams",
        due_on=meeting + timedelta(days=90),
        today=meeting,
        by=pqa,
    )
    closed = moderation.raise_concern(
        session,
        case=last,
        description="A younger sibling in the household is not known to the health visiting "
        "service, and the mother's partner has moved back into the home.",
        follow_up_by="Team manager, children's social care",
        follow_up_agency=council,
        due_on=meeting + timedelta(days=2),
        today=meeting,
        by=pqa,
    )
    moderation.close_concern(
        session,
        concern=closed,
        note="Strategy discussion held the next day; the sibling was seen at home and the "
        "health visiting service is now involved.",
        by=pqa,
    )
    still_open = moderation.raise_concern(
        session,
        case=first,
        description="The child told school staff that their father still comes to the "
        "house at weekends, which the child protection plan does not allow. The social "
        "worker has not been told yet.",
        follow_up_by="Designated safeguarding lead",
        follow_up_agency=school,
        due_on=today + timedelta(days=4),
        today=meeting,
        by=pqa,
    )
    rounds.close_round(session, audit_round=audit_round, by=pqa)

    # The round's history, when it happened rather than now.
    for concern in (closed, still_open):
        concern.created_at = _at(meeting, 15)
    closed.closed_at = _at(meeting + timedelta(days=1), 11)
    for case in audit_round.cases:
        case.moderated_at = _at(meeting, 16)
        for record in (*case.judgements, *case.learning, *moderation.case_actions(session, case)):
            record.created_at = _at(meeting, 14)
    audit_round.closed_at = _at(today - timedelta(days=3), 10)


def _neglect_round(session, *, partnership, version, agencies, leads, pqa, today):
    """Open now, its deadline three weeks away: the demo leads' case returns are in
    every state."""
    lookback_to = today - timedelta(days=20)
    due_on = today + timedelta(days=21)
    audit_round = _set_up_round(
        session,
        partnership=partnership,
        version=version,
        name=f"Neglect audit, {due_on:%B %Y}",
        lookback=(lookback_to - timedelta(days=364), lookback_to),
        due_on=due_on,
        moderation_on=due_on + timedelta(days=14),
        cases=NEGLECT_CASES,
        agencies=agencies,
        pqa=pqa,
    )
    reflections = _Texts(wrap=True)
    for case, plan in zip(audit_round.cases, NEGLECT_CASES, strict=True):
        _write_returns(session, case, plan, leads=leads, reflections=reflections, due_on=due_on)


def _set_up_round(
    session, *, partnership, version, name, lookback, due_on, moderation_on, cases, agencies, pqa
):
    audit_round = rounds.create_round(
        session,
        partnership=partnership,
        name=name,
        template_version=version,
        lookback_from=lookback[0],
        lookback_to=lookback[1],
        due_on=due_on,
        moderation_on=moderation_on,
        by=pqa,
    )
    for plan in cases:
        rounds.add_case(
            session,
            audit_round=audit_round,
            age_band=plan.age_band,
            plan_type=plan.plan_type,
            selection_reason=plan.selection_reason,
            agencies=[agencies[r.agency] for r in plan.returns],
            by=pqa,
        )
    rounds.open_round(session, audit_round=audit_round, by=pqa)
    return audit_round


# -- Agencies' returns -----------------------------------------------------------------------


class _Texts:
    """Hands out the texts of a bank in turn, so that agencies do not write the same
    words. Once a bank is used up, the next agency writes nothing there, or (`wrap`)
    the bank starts again."""

    def __init__(self, *, wrap: bool = False) -> None:
        self._used: Counter[str] = Counter()
        self._wrap = wrap

    def take(self, key: str, bank: tuple[str, ...]) -> str:
        n = self._used[key]
        self._used[key] += 1
        if n < len(bank):
            return bank[n]
        return bank[n % len(bank)] if self._wrap and bank else ""


def _write_returns(session, case: AuditCase, plan: DemoCase, *, leads, reflections, due_on):
    by_agency = {r.agency.name: r for r in case.returns}
    answers = _Texts()
    for position, demo_return in enumerate(plan.returns):
        if demo_return.state == NOT_STARTED:
            continue
        case_return = by_agency[demo_return.agency]
        lead = leads[demo_return.agency]
        _answer(
            session,
            case_return,
            demo_return,
            lead=lead,
            texts=answers,
            ours=reflections,
            serial=case.sequence + position,
        )
        if demo_return.state == SUBMITTED:
            returns_service.submit_case_return(session, case_return=case_return, by=lead)
            sent = _at(due_on - timedelta(days=demo_return.submitted_early), 9 + position)
            case_return.submitted_at = case_return.last_activity_at = sent
            for page in case_return.sections:
                page.updated_at = sent - timedelta(hours=1)


def _answer(
    session, case_return: CaseReturn, demo_return: DemoReturn, *, lead, texts, ours, serial
):
    """Save each section the return's grades reach: a draft stops at the first section
    whose graded question is marked "-" (not reached yet). `texts` hands out the case's
    comments, `ours` the round's reflections, which each agency writes on two of the
    six sections (which two turns with `serial`), as agencies tend to."""
    contents = returns_service.load_contents(session, case_return)
    letters = iter(demo_return.grades)
    for number, entry in enumerate(contents.sections):
        grades = {
            q.id: _GRADES.get(next(letters, "-"))
            for q in entry.questions
            if q.kind is QuestionKind.GRADED
        }
        given = [grade for grade in grades.values() if grade is not None]
        if not given:
            break
        # The section's grade sets the tone of its other answers and its reflections, so
        # a return reads as one agency's view.
        lowest = min(given, key=lambda grade: grade.rank)
        weak = lowest.rank < Grade.GOOD.rank
        answers = {}
        for question in entry.questions:
            key = question.key
            if question.kind is QuestionKind.GRADED:
                grade = grades[question.id]
                if grade is None:
                    continue
                strong_bank, weak_bank = GRADED_COMMENTS[key]
                below_good = grade.rank < Grade.GOOD.rank
                comment = demo_return.comments.get(key) or texts.take(
                    f"{key}/{below_good}", weak_bank if below_good else strong_bank
                )
                answers[question.id] = (grade.value, comment)
            elif question.kind is QuestionKind.YES_PARTLY_NO:
                answer = _in_keeping(lowest)
                bank = YES_PARTLY_NO_COMMENTS.get((key, answer), ())
                answers[question.id] = (answer, texts.take(f"{key}/{answer}", bank))
            else:
                answers[question.id] = (None, texts.take(key, FREE_TEXT[key]))
        returns_service.save_section(
            session,
            case_return=case_return,
            section=entry.section,
            answers=answers,
            seen_version=entry.version,
            by=lead,
            **_reflections(ours, entry.section.key, weak=weak, wanted=(serial + number) % 3 == 0),
        )


def _reflections(ours: _Texts, section_key: str, *, weak: bool, wanted: bool) -> dict:
    """Good practice where the agency did well; areas for development and
    recommendations where it did not."""
    kinds = {"good_practice": not weak, "development": weak, "recommendations": weak}
    banks = REFLECTIONS[section_key]
    return {
        name: ours.take(f"{section_key}/{name}", banks[name]) if wanted and write else ""
        for name, write in kinds.items()
    }


def _in_keeping(grade: Grade) -> str:
    """A yes/partly/no answer in keeping with the section's grade."""
    if grade.rank >= Grade.GOOD.rank:
        return YesPartlyNo.YES.value
    if grade is Grade.REQUIRES_IMPROVEMENT:
        return YesPartlyNo.PARTLY.value
    return YesPartlyNo.NO.value


# -- The moderation meeting ------------------------------------------------------------------


def _moderate(session, case: AuditCase, plan: DemoCase, *, chair: User) -> None:
    """The meeting's judgement of each section (the most common of the agencies' grades,
    the lower of two tied, unless the meeting decided otherwise), its overall judgement
    and its learning."""
    view = moderation.load_case_view(session, case)
    for section_view in view.sections:
        key = section_view.section.key
        if key in plan.judgements:
            letter, rationale = plan.judgements[key]
            grade = _GRADES[letter]
        else:
            grade = section_view.summary.most_common[0]
            rationale = JUDGEMENT_RATIONALES[key][grade.rank < Grade.GOOD.rank]
        moderation.record_judgement(
            session,
            case=case,
            section=section_view.section,
            grade=grade,
            rationale=rationale,
            by=chair,
        )
    moderation.record_overall(
        session,
        case=case,
        grade=_GRADES[plan.overall],
        rationale=plan.overall_rationale,
        by=chair,
    )
    for theme, text in plan.learning:
        moderation.add_learning(session, case=case, theme=theme, text=text, by=chair)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)
