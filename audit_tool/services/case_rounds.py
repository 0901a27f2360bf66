"""Case-audit rounds and their cases: PQA chooses a template and a sample of children's
cases, names the agencies involved in each, opens the round and closes it after the
moderation meeting.

A case is known only by a reference generated here (`DA-2026-03`: the template's
prefix, the year the look-back period ends, and a sequence unique in the partnership
for that prefix and year). Nobody types it, so nobody can type a child's name into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..audit_trail import AuditEventType, record_event
from ..db import lock_for_update
from ..models import (
    AgeBand,
    Agency,
    AuditCase,
    CaseAuditRound,
    CaseReturn,
    CaseReturnStatus,
    CaseTemplate,
    CaseTemplateVersion,
    FrameworkStatus,
    Partnership,
    PartnershipAgency,
    PlanType,
    RoundStatus,
    User,
    utcnow,
)
from ..states import move_case_return, move_round
from . import DomainError, NotFound, refuse_identifiers

# Templates and versions ------------------------------------------------------------


def usable_template_versions(
    session: Session, partnership: Partnership
) -> list[CaseTemplateVersion]:
    """Published versions a round may use: built-in templates' and the partnership's
    own, by template name, newest version first."""
    return list(
        session.scalars(
            select(CaseTemplateVersion)
            .join(CaseTemplateVersion.template)
            .options(joinedload(CaseTemplateVersion.template))
            .where(
                CaseTemplateVersion.status == FrameworkStatus.PUBLISHED,
                CaseTemplate.partnership_id.is_(None)
                | (CaseTemplate.partnership_id == partnership.id),
            )
            .order_by(CaseTemplate.name, CaseTemplate.id, CaseTemplateVersion.number.desc())
        )
    )


def _check_version(version: CaseTemplateVersion, partnership: Partnership) -> None:
    owner = version.template.partnership_id
    if version.status is not FrameworkStatus.PUBLISHED or owner not in (None, partnership.id):
        raise DomainError("Select a published audit template", field="template_version")


def _check_dates(
    lookback_from: date, lookback_to: date, due_on: date, moderation_on: date | None
) -> None:
    if lookback_to <= lookback_from:
        raise DomainError(
            "The end of the look-back period must be after its start", field="lookback_to"
        )
    if moderation_on is not None and moderation_on < due_on:
        raise DomainError(
            "The moderation meeting must be on or after the deadline for returns",
            field="moderation_on",
        )


# Reading ---------------------------------------------------------------------------


def _round_query():
    return select(CaseAuditRound).options(
        joinedload(CaseAuditRound.template_version).joinedload(CaseTemplateVersion.template),
        selectinload(CaseAuditRound.cases)
        .selectinload(AuditCase.returns)
        .joinedload(CaseReturn.agency),
    )


def list_rounds(
    session: Session, partnership: Partnership, *, include_drafts: bool = True
) -> list[CaseAuditRound]:
    """The partnership's rounds, latest deadline first, with cases and returns loaded."""
    stmt = (
        _round_query()
        .where(CaseAuditRound.partnership_id == partnership.id)
        .order_by(CaseAuditRound.due_on.desc(), CaseAuditRound.id.desc())
    )
    if not include_drafts:
        stmt = stmt.where(CaseAuditRound.status != RoundStatus.DRAFT)
    return list(session.scalars(stmt))


def get_round(
    session: Session, partnership: Partnership, round_id: int, *, include_drafts: bool = True
) -> CaseAuditRound:
    """A round of this partnership; NotFound for another partnership's (and for drafts
    when `include_drafts` is false: the panel sees a round once it is open)."""
    audit_round = session.scalar(
        _round_query().where(
            CaseAuditRound.id == round_id, CaseAuditRound.partnership_id == partnership.id
        )
    )
    if audit_round is None or (not include_drafts and audit_round.status is RoundStatus.DRAFT):
        raise NotFound("Round not found")
    return audit_round


def get_case(
    session: Session, partnership: Partnership, case_id: int, *, include_drafts: bool = True
) -> AuditCase:
    case = session.scalar(
        select(AuditCase)
        .options(
            joinedload(AuditCase.round)
            .joinedload(CaseAuditRound.template_version)
            .joinedload(CaseTemplateVersion.template),
            selectinload(AuditCase.returns).joinedload(CaseReturn.agency),
        )
        .where(AuditCase.id == case_id, AuditCase.partnership_id == partnership.id)
    )
    if case is None or (not include_drafts and case.round.status is RoundStatus.DRAFT):
        raise NotFound("Case not found")
    return case


def get_case_return(case: AuditCase, agency_id: int) -> CaseReturn:
    found = next((r for r in case.returns if r.agency_id == agency_id), None)
    if found is None:
        raise NotFound("This agency is not involved in the case")
    return found


def case_agencies(case: AuditCase) -> list[Agency]:
    return sorted((r.agency for r in case.returns), key=lambda agency: agency.name.lower())


def active_agencies(session: Session, partnership: Partnership) -> list[Agency]:
    """The partnership's current (not archived) agencies, by name."""
    links = session.scalars(
        select(PartnershipAgency)
        .join(PartnershipAgency.agency)
        .options(joinedload(PartnershipAgency.agency))
        .where(
            PartnershipAgency.partnership_id == partnership.id,
            PartnershipAgency.archived_at.is_(None),
        )
    )
    return sorted((link.agency for link in links), key=lambda agency: agency.name.lower())


# The returns tracker ---------------------------------------------------------------


def is_submitted(case_return: CaseReturn) -> bool:
    return case_return.status is CaseReturnStatus.SUBMITTED


def is_overdue(case_return: CaseReturn, today: date) -> bool:
    """Not in, and the round's deadline has passed (a draft round has no deadline yet)."""
    audit_round = case_return.case.round
    return (
        audit_round.status is not RoundStatus.DRAFT
        and not is_submitted(case_return)
        and audit_round.due_on < today
    )


def is_late(case_return: CaseReturn) -> bool:
    """Submitted after the round's deadline."""
    submitted = case_return.submitted_at
    return (
        is_submitted(case_return)
        and submitted is not None
        and submitted.date() > case_return.case.round.due_on
    )


@dataclass(frozen=True)
class CaseReturnProgress:
    case_return: CaseReturn
    overdue: bool = False
    late: bool = False


@dataclass(frozen=True)
class TrackerRow:
    case: AuditCase
    returns: list[CaseReturnProgress]  # the agencies involved in the case, by name


@dataclass(frozen=True)
class Tracker:
    rows: list[TrackerRow]
    submitted: int
    expected: int
    overdue: int


def tracker(audit_round: CaseAuditRound, *, today: date) -> Tracker:
    """Each case with its involved agencies' returns and their status: the round is
    already loaded with its cases and returns, so this runs no queries.

    A case lists only the agencies involved in it, not a column for every agency in the
    round: a round commonly involves eight or more agencies, each in a few cases."""
    rows = [
        TrackerRow(
            case=case,
            returns=[
                CaseReturnProgress(found, overdue=is_overdue(found, today), late=is_late(found))
                for found in sorted(case.returns, key=lambda r: r.agency.name.lower())
            ],
        )
        for case in audit_round.cases
    ]
    returns = [r for case in audit_round.cases for r in case.returns]
    return Tracker(
        rows=rows,
        submitted=sum(1 for r in returns if is_submitted(r)),
        expected=len(returns),
        overdue=sum(1 for r in returns if is_overdue(r, today)),
    )


# Rounds ----------------------------------------------------------------------------


def _round_snapshot(audit_round: CaseAuditRound) -> dict:
    return {
        "name": audit_round.name,
        "template": audit_round.template_version.label,
        "lookback_from": audit_round.lookback_from.isoformat(),
        "lookback_to": audit_round.lookback_to.isoformat(),
        "due_on": audit_round.due_on.isoformat(),
        "moderation_on": audit_round.moderation_on.isoformat()
        if audit_round.moderation_on
        else None,
    }


def create_round(
    session: Session,
    *,
    partnership: Partnership,
    name: str,
    template_version: CaseTemplateVersion,
    lookback_from: date,
    lookback_to: date,
    due_on: date,
    moderation_on: date | None,
    by: User | None,
) -> CaseAuditRound:
    """A draft round with no cases yet: PQA adds them, then opens it."""
    refuse_identifiers(name, field="name", label="Name")
    _check_version(template_version, partnership)
    _check_dates(lookback_from, lookback_to, due_on, moderation_on)
    audit_round = CaseAuditRound(
        partnership=partnership,
        template_version=template_version,
        name=name,
        theme=template_version.template.theme,
        lookback_from=lookback_from,
        lookback_to=lookback_to,
        due_on=due_on,
        moderation_on=moderation_on,
        status=RoundStatus.DRAFT,
    )
    session.add(audit_round)
    session.flush()
    record_event(
        session,
        AuditEventType.CASE_ROUND_CREATED,
        by=by,
        partnership=partnership,
        subject=audit_round,
        name=name,
        template=template_version.label,
    )
    return audit_round


def update_round(
    session: Session,
    *,
    audit_round: CaseAuditRound,
    name: str,
    template_version: CaseTemplateVersion,
    lookback_from: date,
    lookback_to: date,
    due_on: date,
    moderation_on: date | None,
    by: User,
) -> None:
    """Change a round's details. The template can change only while the round is a
    draft, and only to another version of the same template once cases are added
    (their references carry the template's prefix)."""
    refuse_identifiers(name, field="name", label="Name")
    lock_for_update(session, CaseAuditRound, audit_round.id)
    if audit_round.status is RoundStatus.CLOSED:
        raise DomainError("This round is closed. Reopen it to change its details.")
    if template_version.id != audit_round.template_version_id:
        _check_version(template_version, partnership=audit_round.partnership)
        if audit_round.status is not RoundStatus.DRAFT:
            raise DomainError(
                "The template cannot be changed once the round is open", field="template_version"
            )
        if audit_round.cases and template_version.template_id != (
            audit_round.template_version.template_id
        ):
            raise DomainError(
                "Choose a version of the same template: the round already has cases",
                field="template_version",
            )
    _check_dates(lookback_from, lookback_to, due_on, moderation_on)
    before = _round_snapshot(audit_round)
    audit_round.name = name
    audit_round.template_version = template_version
    audit_round.theme = template_version.template.theme
    audit_round.lookback_from = lookback_from
    audit_round.lookback_to = lookback_to
    audit_round.due_on = due_on
    audit_round.moderation_on = moderation_on
    after = _round_snapshot(audit_round)
    if before == after:
        return
    record_event(
        session,
        AuditEventType.CASE_ROUND_UPDATED,
        by=by,
        partnership=audit_round.partnership,
        subject=audit_round,
        before=before,
        after=after,
    )


def open_round(session: Session, *, audit_round: CaseAuditRound, by: User) -> None:
    """Open the round to the agencies involved. Every case needs at least one agency."""
    lock_for_update(session, CaseAuditRound, audit_round.id)
    if audit_round.status is RoundStatus.DRAFT:
        if not audit_round.cases:
            raise DomainError("Add at least one case before opening the round")
        empty = [case.reference for case in audit_round.cases if not case.returns]
        if empty:
            raise DomainError(
                f"Add the agencies involved in {', '.join(empty)} before opening the round"
            )
    move_round(audit_round, RoundStatus.OPEN)
    record_event(
        session,
        AuditEventType.CASE_ROUND_OPENED,
        by=by,
        partnership=audit_round.partnership,
        subject=audit_round,
        name=audit_round.name,
    )


def close_round(session: Session, *, audit_round: CaseAuditRound, by: User) -> None:
    lock_for_update(session, CaseAuditRound, audit_round.id)
    move_round(audit_round, RoundStatus.CLOSED)
    audit_round.closed_at = utcnow()
    record_event(
        session,
        AuditEventType.CASE_ROUND_CLOSED,
        by=by,
        partnership=audit_round.partnership,
        subject=audit_round,
        name=audit_round.name,
    )


def reopen_round(session: Session, *, audit_round: CaseAuditRound, reason: str, by: User) -> None:
    if not reason.strip():
        raise DomainError("Enter why you are reopening this round", field="reason")
    refuse_identifiers(reason, field="reason", label="Why are you reopening it?")
    lock_for_update(session, CaseAuditRound, audit_round.id)
    if audit_round.status is not RoundStatus.CLOSED:
        raise DomainError("Only a closed round can be reopened", field="reason")
    move_round(audit_round, RoundStatus.OPEN)
    audit_round.closed_at = None
    audit_round.reopened_reason = reason
    record_event(
        session,
        AuditEventType.CASE_ROUND_REOPENED,
        by=by,
        partnership=audit_round.partnership,
        subject=audit_round,
        name=audit_round.name,
        reason=reason,
    )


# Cases -----------------------------------------------------------------------------


def _require_cases_changeable(audit_round: CaseAuditRound) -> None:
    if audit_round.status is RoundStatus.CLOSED:
        raise DomainError("This round is closed. Reopen it to change its cases.")


def _check_agencies(session: Session, partnership: Partnership, agencies: list[Agency]) -> None:
    if not agencies:
        raise DomainError("Select at least one agency involved", field="agencies")
    current = {agency.id for agency in active_agencies(session, partnership)}
    if any(agency.id not in current for agency in agencies):
        raise DomainError("Select agencies from the list", field="agencies")


def next_reference(session: Session, *, partnership: Partnership, prefix: str, year: int) -> str:
    """The next free reference for this prefix and year in the partnership."""
    stem = f"{prefix}-{year}-"
    pattern = re.compile(rf"^{re.escape(stem)}(\d+)$")
    taken = session.scalars(
        select(AuditCase.reference).where(
            AuditCase.partnership_id == partnership.id, AuditCase.reference.startswith(stem)
        )
    )
    numbers = [int(m.group(1)) for ref in taken if (m := pattern.match(ref))]
    return f"{stem}{max(numbers, default=0) + 1:02d}"


SELECTION_REASON = "Why the case was selected"


def add_case(
    session: Session,
    *,
    audit_round: CaseAuditRound,
    age_band: AgeBand,
    plan_type: PlanType,
    selection_reason: str,
    agencies: list[Agency],
    by: User,
) -> AuditCase:
    """Add a case with a generated reference, assigned to the agencies involved (each
    gets a return, not started)."""
    refuse_identifiers(selection_reason, field="selection_reason", label=SELECTION_REASON)
    partnership = audit_round.partnership
    # References are unique across the partnership's rounds: take the partnership's row
    # lock so two people adding cases at once cannot generate the same one.
    lock_for_update(session, Partnership, partnership.id)
    _require_cases_changeable(audit_round)
    _check_agencies(session, partnership, agencies)
    reference = next_reference(
        session,
        partnership=partnership,
        prefix=audit_round.template_version.template.reference_prefix,
        year=audit_round.lookback_to.year,
    )
    sequence = max((case.sequence for case in audit_round.cases), default=0) + 1
    case = AuditCase(
        partnership_id=partnership.id,
        round=audit_round,
        sequence=sequence,
        reference=reference,
        age_band=age_band,
        plan_type=plan_type,
        selection_reason=selection_reason,
    )
    session.add(case)
    for agency in agencies:
        session.add(CaseReturn(case=case, agency=agency, status=CaseReturnStatus.NOT_STARTED))
    session.flush()
    record_event(
        session,
        AuditEventType.CASE_ADDED,
        by=by,
        partnership=partnership,
        subject=case,
        reference=reference,
        agencies=sorted(agency.name for agency in agencies),
    )
    return case


def _case_snapshot(case: AuditCase) -> dict:
    return {
        "age_band": case.age_band.value,
        "plan_type": case.plan_type.value,
        "selection_reason": case.selection_reason,
        "agencies": sorted(r.agency.name for r in case.returns),
    }


def _started(case_return: CaseReturn) -> bool:
    return case_return.status is not CaseReturnStatus.NOT_STARTED or bool(case_return.sections)


def update_case(
    session: Session,
    *,
    case: AuditCase,
    age_band: AgeBand,
    plan_type: PlanType,
    selection_reason: str,
    agencies: list[Agency],
    by: User,
) -> None:
    """Change a case's details and agencies. An agency that has started its return
    cannot be taken off the case: its work would be lost."""
    refuse_identifiers(selection_reason, field="selection_reason", label=SELECTION_REASON)
    audit_round = case.round
    lock_for_update(session, AuditCase, case.id)
    _require_cases_changeable(audit_round)
    if not agencies:
        raise DomainError("Select at least one agency involved", field="agencies")
    wanted = {agency.id: agency for agency in agencies}
    existing = {r.agency_id: r for r in case.returns}
    added = [agency for agency_id, agency in wanted.items() if agency_id not in existing]
    if added:
        _check_agencies(session, audit_round.partnership, added)
    dropped = [r for agency_id, r in existing.items() if agency_id not in wanted]
    started = [r.agency.name for r in dropped if _started(r)]
    if started:
        raise DomainError(
            f"{', '.join(sorted(started))} cannot be removed from this case: "
            "they have started their audit of it. Reopen and keep their return instead.",
            field="agencies",
        )
    before = _case_snapshot(case)
    case.age_band = age_band
    case.plan_type = plan_type
    case.selection_reason = selection_reason
    for case_return in dropped:
        case.returns.remove(case_return)
        session.delete(case_return)
    for agency in added:
        # Setting `case` puts the return in `case.returns` too.
        session.add(CaseReturn(case=case, agency=agency, status=CaseReturnStatus.NOT_STARTED))
    session.flush()
    after = _case_snapshot(case)
    if before == after:
        return
    record_event(
        session,
        AuditEventType.CASE_UPDATED,
        by=by,
        partnership=audit_round.partnership,
        subject=case,
        reference=case.reference,
        before=before,
        after=after,
    )


def remove_case(session: Session, *, case: AuditCase, by: User) -> None:
    """Take a case out of a draft round (agencies have seen nothing of it yet). Its
    reference is not reused: the next case takes the next number."""
    audit_round = case.round
    lock_for_update(session, AuditCase, case.id)
    if audit_round.status is not RoundStatus.DRAFT:
        raise DomainError("Cases can only be removed while the round is a draft")
    if any(_started(r) for r in case.returns):
        raise DomainError("An agency has started its audit of this case, so it cannot be removed")
    record_event(
        session,
        AuditEventType.CASE_REMOVED,
        by=by,
        partnership=audit_round.partnership,
        subject=case,
        reference=case.reference,
    )
    for case_return in list(case.returns):
        session.delete(case_return)
    audit_round.cases.remove(case)
    session.delete(case)
    session.flush()


def reopen_case_return(session: Session, *, case_return: CaseReturn, reason: str, by: User) -> None:
    """Let an agency change its submitted audit of a case; it must submit again."""
    if not reason.strip():
        raise DomainError("Enter why you are reopening this return", field="reason")
    refuse_identifiers(reason, field="reason", label="Why are you reopening it?")
    lock_for_update(session, CaseReturn, case_return.id)
    if case_return.case.round.status is not RoundStatus.OPEN:
        raise DomainError("Open the round again before reopening a return in it", field="reason")
    if case_return.status is not CaseReturnStatus.SUBMITTED:
        raise DomainError(
            f"{case_return.agency.name} has not submitted its audit of this case, "
            "so there is nothing to reopen",
            field="reason",
        )
    move_case_return(case_return, CaseReturnStatus.REOPENED)
    case_return.reopened_reason = reason
    record_event(
        session,
        AuditEventType.CASE_RETURN_REOPENED,
        by=by,
        partnership=case_return.case.round.partnership,
        subject=case_return,
        reference=case_return.case.reference,
        agency=case_return.agency.name,
        reason=reason,
    )
