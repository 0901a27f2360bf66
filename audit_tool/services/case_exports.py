"""What a case-file audit round's workbook holds, loaded as plain data.

The round's facts and findings come from `case_analysis.load_round` and
`case_analysis.analyse`, the calls the analysis page makes, so the workbook shows the
page's numbers. This module adds what the page does not load: the agencies' answers and
words (drafts too, marked as such), the meeting's reasons, learning, the agreed actions
and the safeguarding concerns. A fixed number of statements whatever the round's size.

Everything here reads; the caller records the export.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ..case_analysis import analyse
from ..case_grading import parse_grade
from ..exports.case_rows import (
    AnswerDetail,
    CaseDetail,
    ConcernDetail,
    JudgementDetail,
    LearningDetail,
    Reflection,
    ReturnDetail,
    RoundExport,
)
from ..models import (
    Action,
    AuditCase,
    CaseAnswer,
    CaseAuditRound,
    CaseJudgement,
    CaseQuestion,
    CaseReturn,
    CaseSection,
    LearningPoint,
    SafeguardingConcern,
    SectionReturn,
    User,
)
from .case_analysis import THEME_LABELS, load_round
from .exports import action_info, describe_user


def load_round_export(
    session: Session,
    *,
    audit_round: CaseAuditRound,
    by: User | None,
    today: date,
    now: datetime,
) -> RoundExport:
    """The whole round: every case, every involved agency's return, the meeting's
    judgements, learning, actions and concerns."""
    data = load_round(session, audit_round)
    in_round = select(AuditCase.id).where(AuditCase.round_id == audit_round.id)
    version_id = audit_round.template_version_id
    questions = {
        question_id: (data.section_keys[section_id], key)
        for question_id, section_id, key in session.execute(
            select(CaseQuestion.id, CaseQuestion.section_id, CaseQuestion.key)
            .join(CaseSection, CaseSection.id == CaseQuestion.section_id)
            .where(CaseSection.version_id == version_id)
        )
    }
    moderator = aliased(User)
    cases = [
        CaseDetail(
            case_id=row.id,
            reference=row.reference,
            sequence=row.sequence,
            age_band=row.age_band.label,
            plan_type=row.plan_type.label,
            selection_reason=row.selection_reason or "",
            overall=parse_grade(row.overall_grade),
            overall_rationale=row.overall_rationale or "",
            moderated_at=row.moderated_at,
            moderated_by=row.moderator or "",
        )
        for row in session.execute(
            select(
                AuditCase.id,
                AuditCase.reference,
                AuditCase.sequence,
                AuditCase.age_band,
                AuditCase.plan_type,
                AuditCase.selection_reason,
                AuditCase.overall_grade,
                AuditCase.overall_rationale,
                AuditCase.moderated_at,
                moderator.name.label("moderator"),
            )
            .outerjoin(moderator, moderator.id == AuditCase.moderated_by_id)
            .where(AuditCase.round_id == audit_round.id)
        )
    ]
    returns = [
        ReturnDetail(
            case_id=case_id,
            agency_id=agency_id,
            status=status.value,
            submitted_at=submitted_at,
            last_activity_at=last_activity_at,
        )
        for case_id, agency_id, status, submitted_at, last_activity_at in session.execute(
            select(
                CaseReturn.case_id,
                CaseReturn.agency_id,
                CaseReturn.status,
                CaseReturn.submitted_at,
                CaseReturn.last_activity_at,
            ).where(CaseReturn.case_id.in_(in_round))
        )
    ]
    answers = []
    for case_id, agency_id, question_id, answer, comment in session.execute(
        select(
            CaseReturn.case_id,
            CaseReturn.agency_id,
            CaseAnswer.question_id,
            CaseAnswer.answer,
            CaseAnswer.comment,
        )
        .select_from(CaseAnswer)
        .join(SectionReturn, SectionReturn.id == CaseAnswer.section_return_id)
        .join(CaseReturn, CaseReturn.id == SectionReturn.case_return_id)
        .where(CaseReturn.case_id.in_(in_round))
    ):
        if question_id in questions:  # a question of another version is not this round's
            section_key, question_key = questions[question_id]
            answers.append(
                AnswerDetail(case_id, agency_id, section_key, question_key, answer, comment or "")
            )
    reflections = [
        Reflection(
            case_id=case_id,
            agency_id=agency_id,
            section_key=data.section_keys[section_id],
            good_practice=good or "",
            development=development or "",
            recommendations=recommendations or "",
        )
        for case_id, agency_id, section_id, good, development, recommendations in session.execute(
            select(
                CaseReturn.case_id,
                CaseReturn.agency_id,
                SectionReturn.section_id,
                SectionReturn.good_practice,
                SectionReturn.development,
                SectionReturn.recommendations,
            )
            .join(CaseReturn, CaseReturn.id == SectionReturn.case_return_id)
            .where(CaseReturn.case_id.in_(in_round))
        )
        if section_id in data.section_keys
    ]
    judgements = [
        JudgementDetail(
            case_id=case_id,
            section_key=data.section_keys[section_id],
            grade=parse_grade(grade),
            rationale=rationale or "",
            set_by=set_by or "",
        )
        for case_id, section_id, grade, rationale, set_by in session.execute(
            select(
                CaseJudgement.case_id,
                CaseJudgement.section_id,
                CaseJudgement.grade,
                CaseJudgement.rationale,
                User.name,
            )
            .outerjoin(User, User.id == CaseJudgement.set_by_id)
            .where(CaseJudgement.case_id.in_(in_round))
        )
        if section_id in data.section_keys
    ]
    learning = [
        LearningDetail(
            case_id=case_id, theme=theme.value, text=text, recorded_by=name or "", recorded_at=at
        )
        for case_id, theme, text, name, at in session.execute(
            select(
                LearningPoint.case_id,
                LearningPoint.theme,
                LearningPoint.text,
                User.name,
                LearningPoint.created_at,
            )
            .outerjoin(User, User.id == LearningPoint.by_id)
            .where(LearningPoint.case_id.in_(in_round))
            .order_by(LearningPoint.id)
        )
    ]
    actions = [
        action_info(action, today)
        for action in session.scalars(
            select(Action)
            .options(
                joinedload(Action.agency),
                joinedload(Action.criterion),
                joinedload(Action.case),
                selectinload(Action.updates),
            )
            .where(
                Action.partnership_id == audit_round.partnership_id,
                Action.case_id.in_(in_round),
            )
            .order_by(Action.due_on, Action.id)
        ).unique()
    ]
    concerns = [
        ConcernDetail(
            case_id=concern.case_id,
            description=concern.description,
            follow_up_by=concern.follow_up_by,
            follow_up_agency=concern.follow_up_agency.name if concern.follow_up_agency else None,
            due_on=concern.due_on,
            raised_by=concern.raised_by.name,
            raised_at=concern.created_at,
            closed_at=concern.closed_at,
            closed_by=concern.closed_by.name if concern.closed_by else "",
            closing_note=concern.closing_note or "",
            overdue_days=(today - concern.due_on).days
            if concern.closed_at is None and concern.due_on < today
            else None,
        )
        for concern in session.scalars(
            select(SafeguardingConcern)
            .options(
                joinedload(SafeguardingConcern.follow_up_agency),
                joinedload(SafeguardingConcern.raised_by),
                joinedload(SafeguardingConcern.closed_by),
            )
            .where(SafeguardingConcern.case_id.in_(in_round))
            .order_by(SafeguardingConcern.id)
        )
    ]
    version = audit_round.template_version
    return RoundExport(
        partnership=audit_round.partnership.name,
        name=audit_round.name,
        theme=audit_round.theme,
        status=audit_round.status.label,
        template=version.label,
        lookback_from=audit_round.lookback_from,
        lookback_to=audit_round.lookback_to,
        due_on=audit_round.due_on,
        moderation_on=audit_round.moderation_on,
        facts=data.facts,
        analysis=analyse(data.facts, today=today, theme_labels=THEME_LABELS),
        cases=cases,
        returns=returns,
        answers=answers,
        reflections=reflections,
        judgements=judgements,
        learning=learning,
        actions=actions,
        concerns=concerns,
        generated_by=describe_user(by, command="export-case-round"),
        generated_at=now,
        today=today,
        theme_labels=THEME_LABELS,
    )
