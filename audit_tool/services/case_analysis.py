"""Everything the round analysis page and the round report need, loaded as plain rows in a
fixed number of statements whatever the number of cases, agencies or earlier rounds,
then worked out by the pure `case_analysis` module.

Everything here reads; nothing writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..case_analysis import (
    AgencyInfo,
    AnswerFacts,
    CaseInfo,
    CaseOutcome,
    JudgementFacts,
    LearningFacts,
    QuestionInfo,
    ReturnFacts,
    RoundFacts,
    RoundInfo,
    SectionInfo,
    judgement_distribution,
)
from ..case_grading import Grade, parse_grade
from ..models import (
    Action,
    ActionSource,
    ActionStatus,
    AgeBand,
    Agency,
    AuditCase,
    CaseAnswer,
    CaseAuditRound,
    CaseJudgement,
    CaseQuestion,
    CaseReturn,
    CaseReturnStatus,
    CaseSection,
    CaseTemplate,
    CaseTemplateVersion,
    LearningPoint,
    LearningTheme,
    Partnership,
    PlanType,
    QuestionKind,
    RoundStatus,
    SafeguardingConcern,
    SectionReturn,
)
from . import NotFound

THEME_LABELS = {theme.value: theme.label for theme in LearningTheme}


def get_round(
    session: Session, partnership: Partnership, round_id: int, *, include_draft: bool
) -> CaseAuditRound:
    """A round of this partnership (with its template), or NotFound. Draft rounds are
    PQA's working copy: `include_draft=False` hides them, as from panel members."""
    audit_round = session.scalar(
        select(CaseAuditRound)
        .options(
            joinedload(CaseAuditRound.template_version).joinedload(CaseTemplateVersion.template)
        )
        .where(CaseAuditRound.id == round_id, CaseAuditRound.partnership_id == partnership.id)
    )
    if audit_round is None or (not include_draft and audit_round.status is RoundStatus.DRAFT):
        raise NotFound("Round not found")
    return audit_round


@dataclass(frozen=True)
class SampleCase:
    case_id: int
    sequence: int
    reference: str
    age_band: AgeBand
    plan_type: PlanType
    agencies: tuple[str, ...]  # involved agencies' names, alphabetical


@dataclass
class RoundData:
    """One round as plain data: the facts for the pure analysis, and the few extra rows
    the pages show as they are."""

    audit_round: CaseAuditRound
    facts: RoundFacts
    sample: list[SampleCase]
    agency_names: dict[int, str]
    case_references: dict[int, str]
    learning_text: list[tuple[int, str, str]]  # (case id, theme, text), this round only
    section_keys: dict[int, str]  # section id → key

    @property
    def sections(self) -> tuple[SectionInfo, ...]:
        return self.facts.sections


def _same_theme_rounds(session: Session, audit_round: CaseAuditRound) -> list[RoundInfo]:
    """This round and the partnership's other rounds of the same theme: a template with
    the same key (any version) or the same theme name. Drafts other than this one are left
    out: they have no findings yet."""
    template = audit_round.template_version.template
    rows = session.execute(
        select(CaseAuditRound.id, CaseAuditRound.name, CaseAuditRound.due_on)
        .join(CaseTemplateVersion, CaseTemplateVersion.id == CaseAuditRound.template_version_id)
        .join(CaseTemplate, CaseTemplate.id == CaseTemplateVersion.template_id)
        .where(
            CaseAuditRound.partnership_id == audit_round.partnership_id,
            or_(
                CaseTemplate.key == template.key,
                func.lower(CaseAuditRound.theme) == audit_round.theme.lower(),
            ),
            or_(CaseAuditRound.status != RoundStatus.DRAFT, CaseAuditRound.id == audit_round.id),
        )
    ).all()
    return [RoundInfo(round_id=r[0], name=r[1], due_on=r[2]) for r in rows]


def load_round(session: Session, audit_round: CaseAuditRound) -> RoundData:
    """The round's cases, returns, grades, judgements and learning, and the overall
    grades and learning of the other rounds of its theme."""
    version_id = audit_round.template_version_id
    sections_by_id = {
        row[0]: SectionInfo(key=row[1], title=row[2], position=row[3])
        for row in session.execute(
            select(CaseSection.id, CaseSection.key, CaseSection.title, CaseSection.position)
            .where(CaseSection.version_id == version_id)
            .order_by(CaseSection.position)
        )
    }
    questions_by_id = {
        row[0]: QuestionInfo(
            key=row[2],
            section_key=sections_by_id[row[1]].key,
            wording=row[4],
            position=row[5],
            kind=row[3].value,
        )
        for row in session.execute(
            select(
                CaseQuestion.id,
                CaseQuestion.section_id,
                CaseQuestion.key,
                CaseQuestion.kind,
                CaseQuestion.wording,
                CaseQuestion.position,
            )
            .join(CaseSection, CaseSection.id == CaseQuestion.section_id)
            .where(CaseSection.version_id == version_id)
        )
    }
    case_rows = session.execute(
        select(
            AuditCase.id,
            AuditCase.sequence,
            AuditCase.reference,
            AuditCase.age_band,
            AuditCase.plan_type,
            AuditCase.overall_grade,
        )
        .where(AuditCase.round_id == audit_round.id)
        .order_by(AuditCase.sequence)
    ).all()
    return_rows = session.execute(
        select(
            CaseReturn.case_id,
            CaseReturn.agency_id,
            CaseReturn.status,
            CaseReturn.submitted_at,
            Agency.name,
        )
        .join(Agency, Agency.id == CaseReturn.agency_id)
        .join(AuditCase, AuditCase.id == CaseReturn.case_id)
        .where(AuditCase.round_id == audit_round.id)
    ).all()
    # Every answer, whatever the return's status: the pure module decides what counts.
    answer_rows = session.execute(
        select(CaseReturn.case_id, CaseReturn.agency_id, CaseAnswer.question_id, CaseAnswer.answer)
        .select_from(CaseAnswer)
        .join(SectionReturn, SectionReturn.id == CaseAnswer.section_return_id)
        .join(CaseReturn, CaseReturn.id == SectionReturn.case_return_id)
        .join(AuditCase, AuditCase.id == CaseReturn.case_id)
        .where(AuditCase.round_id == audit_round.id)
    ).all()
    judgement_rows = session.execute(
        select(CaseJudgement.case_id, CaseJudgement.section_id, CaseJudgement.grade)
        .join(AuditCase, AuditCase.id == CaseJudgement.case_id)
        .where(AuditCase.round_id == audit_round.id)
    ).all()
    rounds = _same_theme_rounds(session, audit_round)
    round_ids = [r.round_id for r in rounds]
    outcome_rows = session.execute(
        select(AuditCase.round_id, AuditCase.id, AuditCase.overall_grade).where(
            AuditCase.round_id.in_(round_ids)
        )
    ).all()
    learning_rows = session.execute(
        select(
            AuditCase.round_id,
            LearningPoint.case_id,
            LearningPoint.theme,
            LearningPoint.text,
            LearningPoint.id,
        )
        .join(AuditCase, AuditCase.id == LearningPoint.case_id)
        .where(AuditCase.round_id.in_(round_ids))
        .order_by(LearningPoint.id)
    ).all()

    agency_names = {row[1]: row[4] for row in return_rows}
    answers = []
    for case_id, agency_id, question_id, answer in answer_rows:
        question = questions_by_id.get(question_id)
        if question is None:  # a question of another version: not this round's
            continue
        answers.append(
            AnswerFacts(
                case_id=case_id,
                agency_id=agency_id,
                section_key=question.section_key,
                question_key=question.key,
                kind=question.kind,
                grade=parse_grade(answer) if question.kind == QuestionKind.GRADED else None,
            )
        )
    facts = RoundFacts(
        round_id=audit_round.id,
        due_on=audit_round.due_on,
        sections=tuple(sections_by_id.values()),
        questions=tuple(questions_by_id.values()),
        cases=tuple(
            CaseInfo(case_id=r[0], reference=r[2], sequence=r[1], overall=parse_grade(r[5]))
            for r in case_rows
        ),
        agencies=tuple(AgencyInfo(agency_id=i, name=n) for i, n in agency_names.items()),
        returns=tuple(
            ReturnFacts(case_id=r[0], agency_id=r[1], status=r[2].value, submitted_at=r[3])
            for r in return_rows
        ),
        answers=tuple(answers),
        judgements=tuple(
            JudgementFacts(
                case_id=case_id, section_key=sections_by_id[section_id].key, grade=parse_grade(g)
            )
            for case_id, section_id, g in judgement_rows
            if section_id in sections_by_id
        ),
        learning=tuple(
            LearningFacts(round_id=r[0], case_id=r[1], theme=r[2].value) for r in learning_rows
        ),
        rounds=tuple(rounds),
        outcomes=tuple(
            CaseOutcome(round_id=r[0], case_id=r[1], overall=parse_grade(r[2]))
            for r in outcome_rows
        ),
    )
    involved: dict[int, list[str]] = defaultdict(list)
    for case_id, _agency_id, _status, _at, name in return_rows:
        involved[case_id].append(name)
    sample = [
        SampleCase(
            case_id=r[0],
            sequence=r[1],
            reference=r[2],
            age_band=r[3],
            plan_type=r[4],
            agencies=tuple(sorted(involved[r[0]], key=str.casefold)),
        )
        for r in case_rows
    ]
    return RoundData(
        audit_round=audit_round,
        facts=facts,
        sample=sample,
        agency_names=agency_names,
        case_references={r[0]: r[2] for r in case_rows},
        learning_text=[(r[1], r[2].value, r[3]) for r in learning_rows if r[0] == audit_round.id],
        section_keys={section_id: s.key for section_id, s in sections_by_id.items()},
    )


# ---------------------------------------------------------------------------------------
# The round report


@dataclass(frozen=True)
class AgencyText:
    """One agency's words on one section of one case, from a submitted return."""

    agency: str
    reference: str
    text: str


@dataclass
class SectionFindings:
    section: SectionInfo
    judgements: dict[Grade, int]
    good_practice: list[AgencyText]
    development: list[AgencyText]
    recommendations: list[AgencyText]


@dataclass(frozen=True)
class LearningEntry:
    reference: str
    text: str


@dataclass(frozen=True)
class AgreedAction:
    reference: str
    agency: str
    description: str
    owner: str
    due_on: date
    status: ActionStatus


@dataclass
class RoundReport:
    data: RoundData
    findings: list[SectionFindings]
    learning: list[tuple[LearningTheme, list[LearningEntry]]]  # by theme, most cases first
    actions: list[AgreedAction]
    open_concerns: int
    closed_concerns: int

    @property
    def concerns(self) -> int:
        return self.open_concerns + self.closed_concerns


def load_report(session: Session, audit_round: CaseAuditRound) -> RoundReport:
    """The printable report: the round's data, the agencies' own words per section from
    submitted returns, learning by theme, the actions agreed and how many immediate
    safeguarding concerns were raised (never what they were)."""
    data = load_round(session, audit_round)
    sections = {s.key: s for s in data.facts.sections}
    judgements = judgement_distribution(data.facts)
    text_rows = session.execute(
        select(
            CaseReturn.case_id,
            CaseReturn.agency_id,
            SectionReturn.section_id,
            SectionReturn.good_practice,
            SectionReturn.development,
            SectionReturn.recommendations,
        )
        .join(CaseReturn, CaseReturn.id == SectionReturn.case_return_id)
        .join(AuditCase, AuditCase.id == CaseReturn.case_id)
        .where(
            AuditCase.round_id == audit_round.id,
            CaseReturn.status == CaseReturnStatus.SUBMITTED,
        )
    ).all()
    findings = {
        key: SectionFindings(
            section=section,
            judgements=judgements.get(key, {}),
            good_practice=[],
            development=[],
            recommendations=[],
        )
        for key, section in sections.items()
    }
    order = {r.case_id: r.sequence for r in data.sample}
    for case_id, agency_id, section_id, good, development, recommendations in sorted(
        text_rows, key=lambda r: (order.get(r[0], 0), data.agency_names.get(r[1], ""), r[2])
    ):
        section = findings.get(data.section_keys.get(section_id))
        if section is None:
            continue
        for target, text in (
            (section.good_practice, good),
            (section.development, development),
            (section.recommendations, recommendations),
        ):
            if text and text.strip():
                target.append(
                    AgencyText(
                        agency=data.agency_names.get(agency_id, ""),
                        reference=data.case_references.get(case_id, ""),
                        text=text.strip(),
                    )
                )
    by_theme: dict[str, list[LearningEntry]] = defaultdict(list)
    cases_by_theme: dict[str, set[int]] = defaultdict(set)
    for case_id, theme, text in sorted(data.learning_text, key=lambda r: order.get(r[0], 0)):
        by_theme[theme].append(LearningEntry(data.case_references.get(case_id, ""), text))
        cases_by_theme[theme].add(case_id)
    learning = [
        (LearningTheme(theme), entries)
        for theme, entries in sorted(
            by_theme.items(), key=lambda item: (-len(cases_by_theme[item[0]]), item[0])
        )
    ]
    action_rows = session.execute(
        select(
            Action.case_id,
            Agency.name,
            Action.description,
            Action.owner,
            Action.due_on,
            Action.status,
        )
        .join(Agency, Agency.id == Action.agency_id)
        .join(AuditCase, AuditCase.id == Action.case_id)
        .where(
            AuditCase.round_id == audit_round.id,
            Action.partnership_id == audit_round.partnership_id,
            Action.source == ActionSource.CASE_AUDIT,
        )
        .order_by(Action.due_on, Action.id)
    ).all()
    actions = [
        AgreedAction(
            reference=data.case_references.get(r[0], ""),
            agency=r[1],
            description=r[2],
            owner=r[3],
            due_on=r[4],
            status=r[5],
        )
        for r in action_rows
    ]
    raised, closed = session.execute(
        select(func.count(SafeguardingConcern.id), func.count(SafeguardingConcern.closed_at))
        .join(AuditCase, AuditCase.id == SafeguardingConcern.case_id)
        .where(AuditCase.round_id == audit_round.id)
    ).one()
    return RoundReport(
        data=data,
        findings=[findings[key] for key in sections],
        learning=learning,
        actions=actions,
        open_concerns=raised - closed,
        closed_concerns=closed,
    )
