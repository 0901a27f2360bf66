"""Evidence items on an agency's answers: adding, finding, removing, and recording
downloads. Files themselves are handled by `evidence_files`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..audit_trail import AuditEventType
from ..db import lock_for_update
from ..models import Assessment, Criterion, CriterionResponse, EvidenceItem, User, utcnow
from . import NotFound
from .assessments import record_return_event, require_editable, touch


def add_evidence_item(
    session: Session,
    *,
    assessment: Assessment,
    criterion: Criterion,
    title: str,
    reference: str,
    stored=None,
    effective_on: date | None,
    review_on: date | None,
    by: User,
) -> EvidenceItem:
    """Attach evidence to an answer (creating the answer if there is none yet)."""
    lock_for_update(session, Assessment, assessment.id)
    require_editable(assessment)
    response = session.scalar(
        select(CriterionResponse).where(
            CriterionResponse.assessment_id == assessment.id,
            CriterionResponse.criterion_id == criterion.id,
        )
    )
    if response is None:
        response = CriterionResponse(assessment=assessment, criterion=criterion, updated_by=by)
        session.add(response)
    item = EvidenceItem(
        response=response,
        title=title,
        reference=reference,
        stored_name=stored.stored_name if stored else None,
        original_filename=stored.original_filename if stored else None,
        content_type=stored.content_type if stored else None,
        size_bytes=stored.size_bytes if stored else None,
        effective_on=effective_on,
        review_on=review_on,
    )
    session.add(item)
    touch(assessment)
    session.flush()
    record_return_event(
        session,
        AuditEventType.EVIDENCE_ADDED,
        assessment,
        by=by,
        subject=item,
        criterion=criterion.code,
        title=title,
    )
    return item


def get_evidence_item(session: Session, assessment: Assessment, item_id: int) -> EvidenceItem:
    item = session.scalar(
        select(EvidenceItem)
        .join(EvidenceItem.response)
        .options(joinedload(EvidenceItem.response).joinedload(CriterionResponse.criterion))
        .where(
            EvidenceItem.id == item_id,
            CriterionResponse.assessment_id == assessment.id,
            EvidenceItem.removed_at.is_(None),
        )
    )
    if item is None:
        raise NotFound("Evidence not found")
    return item


def remove_evidence_item(
    session: Session, *, assessment: Assessment, item: EvidenceItem, by: User
) -> None:
    """Take evidence off an answer. The record stays (marked removed) for the trail."""
    lock_for_update(session, Assessment, assessment.id)
    require_editable(assessment)
    item.removed_at = utcnow()
    touch(assessment)
    record_return_event(
        session,
        AuditEventType.EVIDENCE_REMOVED,
        assessment,
        by=by,
        subject=item,
        criterion=item.response.criterion.code,
        title=item.title,
    )


def record_download(
    session: Session, *, assessment: Assessment, item: EvidenceItem, by: User
) -> None:
    record_return_event(
        session,
        AuditEventType.EVIDENCE_DOWNLOADED,
        assessment,
        by=by,
        subject=item,
        title=item.title,
    )
