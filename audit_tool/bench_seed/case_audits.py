"""A partnership's case-file audits: a closed round, moderated and with its learning and
actions, and an open round with agencies' returns in every state."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..case_grading import Grade, YesPartlyNo
from ..models import (
    ActionSource,
    AgeBand,
    AuditCase,
    CaseAnswer,
    CaseAuditRound,
    CaseJudgement,
    CaseReturn,
    CaseReturnStatus,
    CaseTemplateVersion,
    LearningPoint,
    LearningTheme,
    PlanType,
    QuestionKind,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
    Sector,
)
from .rows import (
    Counts,
    SeededPartnership,
    action_row,
    add_actions,
    at,
    insert_all,
    insert_returning,
)

CASES_PER_ROUND = 4
# Case audits follow children known to the statutory partners and schools.
CASE_SECTORS = {
    Sector.LOCAL_AUTHORITY,
    Sector.HEALTH,
    Sector.POLICE,
    Sector.EDUCATION,
    Sector.YOUTH_JUSTICE,
}
OPEN_ROUND_STATES = [
    (CaseReturnStatus.SUBMITTED, 0.5),
    (CaseReturnStatus.IN_PROGRESS, 0.25),
    (CaseReturnStatus.NOT_STARTED, 0.25),
]


@dataclass(frozen=True)
class _Template:
    version_id: int
    prefix: str
    theme: str
    name: str
    sections: list[tuple[int, list[tuple[int, QuestionKind]]]]  # (id, [(question id, kind)])


def _template(version: CaseTemplateVersion) -> _Template:
    return _Template(
        version_id=version.id,
        prefix=version.template.reference_prefix,
        theme=version.template.theme,
        name=version.template.name,
        sections=[(s.id, [(q.id, q.kind) for q in s.questions]) for s in version.sections],
    )


def seed_case_audits(
    session: Session,
    rng: random.Random,
    partnership: SeededPartnership,
    *,
    versions: list[CaseTemplateVersion],
    today: date,
    turn: int,
) -> Counts:
    """Two rounds on two of the templates, taken in turn so partnerships differ."""
    counts = Counts()
    pool = [a for a in partnership.agencies if a.sector in CASE_SECTORS] or partnership.agencies
    closed = _template(versions[turn % len(versions)])
    opened = _template(versions[(turn + 1) % len(versions)])
    references: dict[tuple[str, int], int] = {}
    for template, is_closed in ((closed, True), (opened, False)):
        ends = today - timedelta(days=90 if is_closed else 35)
        due_on = today - timedelta(days=60) if is_closed else today + timedelta(days=10)
        moderation_on = due_on + timedelta(days=14)
        [round_id] = insert_returning(
            session,
            CaseAuditRound,
            [
                {
                    "partnership_id": partnership.id,
                    "template_version_id": template.version_id,
                    "name": f"{template.theme} audit {ends.year}",
                    "theme": template.theme,
                    "lookback_from": ends - timedelta(days=365),
                    "lookback_to": ends,
                    "due_on": due_on,
                    "moderation_on": moderation_on,
                    "status": RoundStatus.CLOSED if is_closed else RoundStatus.OPEN,
                    "closed_at": at(moderation_on + timedelta(days=1)) if is_closed else None,
                }
            ],
        )
        cases = []
        for sequence in range(1, CASES_PER_ROUND + 1):
            number = references.get((template.prefix, ends.year), 0) + 1
            references[(template.prefix, ends.year)] = number
            grade = rng.choice(list(Grade)) if is_closed else None
            cases.append(
                {
                    "partnership_id": partnership.id,
                    "round_id": round_id,
                    "sequence": sequence,
                    "reference": f"{template.prefix}-{ends.year}-{number:02d}",
                    "age_band": rng.choice(list(AgeBand)),
                    "plan_type": rng.choice(list(PlanType)),
                    "selection_reason": f"Open to three or more agencies during the "
                    f"look-back period, with {template.theme.lower()} as a presenting need.",
                    "overall_grade": grade,
                    "overall_rationale": "Agencies recognised the concerns but acted late."
                    if is_closed
                    else "",
                    "moderated_at": at(moderation_on) if is_closed else None,
                    "moderated_by_id": partnership.panel_ids[0] if is_closed else None,
                }
            )
        case_ids = insert_returning(session, AuditCase, cases)
        involved = {
            case_id: rng.sample(pool, min(len(pool), rng.randint(3, 4))) for case_id in case_ids
        }
        _case_returns(session, rng, template, involved, due_on, is_closed, counts)
        if is_closed:
            _moderation(session, rng, partnership, template, involved, moderation_on, counts)
    return counts


def _case_returns(session, rng, template: _Template, involved, due_on, is_closed, counts) -> None:
    plans = []
    for case_id, agencies in involved.items():
        for agency in agencies:
            if is_closed:
                status = CaseReturnStatus.SUBMITTED
            else:
                states, shares = zip(*OPEN_ROUND_STATES, strict=True)
                status = rng.choices(states, shares)[0]
            plans.append((case_id, agency, status))
    rows = [
        {
            "case_id": case_id,
            "agency_id": agency.id,
            "status": status,
            "last_activity_at": None
            if status is CaseReturnStatus.NOT_STARTED
            else at(due_on - timedelta(days=3)),
            "submitted_at": at(due_on - timedelta(days=2))
            if status is CaseReturnStatus.SUBMITTED
            else None,
            "submitted_by_id": agency.lead_id if status is CaseReturnStatus.SUBMITTED else None,
        }
        for case_id, agency, status in plans
    ]
    return_ids = insert_returning(session, CaseReturn, rows)
    counts.case_returns += len(rows)
    sections, answers = [], []
    for return_id, (_case, agency, status) in zip(return_ids, plans, strict=True):
        if status is CaseReturnStatus.NOT_STARTED:
            continue
        done = template.sections
        if status is CaseReturnStatus.IN_PROGRESS:
            done = done[: max(1, len(done) // 2)]
        for section_id, questions in done:
            sections.append(
                {
                    "case_return_id": return_id,
                    "section_id": section_id,
                    "good_practice": "Information was shared promptly with the school nurse.",
                    "development": "The plan did not say who would see the child next.",
                    "recommendations": "Record the child's own words at each visit.",
                    "updated_by_id": agency.lead_id,
                }
            )
            answers.append(questions)
    section_ids = insert_returning(session, SectionReturn, sections)
    rows = []
    for section_return_id, questions in zip(section_ids, answers, strict=True):
        for question_id, kind in questions:
            if kind is QuestionKind.GRADED:
                answer = rng.choice(list(Grade)).value
            elif kind is QuestionKind.YES_PARTLY_NO:
                answer = rng.choice(list(YesPartlyNo)).value
            else:
                answer = None
            rows.append(
                {
                    "section_return_id": section_return_id,
                    "question_id": question_id,
                    "answer": answer,
                    "comment": "Seen at home twice in the period; views recorded once."
                    if answer is None or rng.random() < 0.3
                    else "",
                }
            )
    insert_all(session, CaseAnswer, rows)


def _moderation(session, rng, partnership, template, involved, moderation_on, counts) -> None:
    """What the meeting recorded for each case: section judgements, learning, an action;
    and one safeguarding concern, since followed up and closed."""
    chair = partnership.panel_ids[0]
    judgements, learning, actions = [], [], []
    for case_id, agencies in involved.items():
        for section_id, _questions in template.sections:
            judgements.append(
                {
                    "case_id": case_id,
                    "section_id": section_id,
                    "grade": rng.choice(list(Grade)).value,
                    "rationale": "Agencies' grades agreed after discussion of the chronology.",
                    "set_by_id": chair,
                }
            )
        for theme in rng.sample(list(LearningTheme), 2):
            learning.append(
                {
                    "case_id": case_id,
                    "theme": theme,
                    "text": "Practitioners did not always ask what daily life was like for "
                    "the child.",
                    "by_id": chair,
                }
            )
        actions.append(
            action_row(
                rng,
                partnership,
                agencies[0],
                source=ActionSource.CASE_AUDIT,
                description="Brief front-line staff on the learning from this audit",
                due_on=moderation_on + timedelta(days=90),
                closed_share=0.3,
                case_id=case_id,
            )
        )
    insert_all(session, CaseJudgement, judgements)
    insert_all(session, LearningPoint, learning)
    add_actions(session, actions, counts)
    first_case, agencies = next(iter(involved.items()))
    insert_all(
        session,
        SafeguardingConcern,
        [
            {
                "partnership_id": partnership.id,
                "case_id": first_case,
                "description": "A younger sibling may not be registered with a GP.",
                "follow_up_by": "Health visiting team leader",
                "follow_up_agency_id": agencies[0].id,
                "due_on": moderation_on + timedelta(days=5),
                "raised_by_id": chair,
                "closed_at": at(moderation_on + timedelta(days=4)),
                "closed_by_id": chair,
                "closing_note": "Registered; health visitor has seen the family.",
            }
        ],
    )
