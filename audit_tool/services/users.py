from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from ..audit_trail import AuditEventType, record_event
from ..models import Agency, LoginSession, Membership, Partnership, Role, User, utcnow
from . import DomainError, NotFound
from .login_throttle import clear_account_failures
from .passwords import MIN_PASSWORD_LENGTH, generate_password, hash_password, password_matches


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def list_partnership_users(session: Session, partnership: Partnership) -> list[User]:
    members = select(Membership.user_id).where(Membership.partnership_id == partnership.id)
    stmt = (
        select(User)
        .where(User.id.in_(members))
        .options(selectinload(User.memberships).joinedload(Membership.agency))
        .order_by(func.lower(User.name), User.id)
    )
    return list(session.scalars(stmt))


def get_partnership_user(session: Session, partnership: Partnership, user_id: int) -> User:
    """A user with at least one role in this partnership; 404 for anyone else."""
    user = session.scalar(
        select(User)
        .join(Membership)
        .where(User.id == user_id, Membership.partnership_id == partnership.id)
        .options(selectinload(User.memberships).joinedload(Membership.agency))
    )
    if user is None:
        raise NotFound("User not found")
    return user


def memberships_in(user: User, partnership: Partnership) -> list[Membership]:
    return [m for m in user.memberships if m.partnership_id == partnership.id]


def roles_in(user: User, partnership: Partnership) -> set[Role]:
    if user.is_system_admin:
        return {Role.PQA_ADMIN} | {m.role for m in memberships_in(user, partnership)}
    return {m.role for m in memberships_in(user, partnership)}


def led_agency_ids(user: User, partnership: Partnership) -> set[int]:
    return {
        m.agency_id
        for m in memberships_in(user, partnership)
        if m.role is Role.AGENCY_LEAD and m.agency_id is not None
    }


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    by: User | None,
    partnership: Partnership | None = None,
    password: str | None = None,
    is_system_admin: bool = False,
) -> tuple[User, str]:
    """Create an account. Returns it with its password: the one given, or a temporary one
    the person must change at first sign-in. The password is never stored in clear."""
    email = normalise_email(email)
    if get_user_by_email(session, email) is not None:
        raise DomainError("An account with this email address already exists", field="email")
    temporary = password is None
    password = password or generate_password()
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        password_change_required=temporary,
        is_system_admin=is_system_admin,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        AuditEventType.USER_CREATED,
        by=by,
        partnership=partnership,
        subject=user,
        email=email,
        name=name,
    )
    return user, password


def grant_role(
    session: Session,
    *,
    user: User,
    partnership: Partnership,
    role: Role,
    agency: Agency | None,
    by: User | None,
) -> Membership:
    if (role is Role.AGENCY_LEAD) != (agency is not None):
        raise DomainError(
            "Select the agency this person leads for"
            if role is Role.AGENCY_LEAD
            else "Only agency leads are linked to an agency",
            field="agency",
        )
    for existing in memberships_in(user, partnership):
        if existing.role is role and existing.agency_id == (agency.id if agency else None):
            raise DomainError("This person already has that role", field="role")
    membership = Membership(user=user, partnership=partnership, role=role, agency=agency)
    session.add(membership)
    session.flush()
    record_event(
        session,
        AuditEventType.ROLE_GRANTED,
        by=by,
        partnership=partnership,
        subject=user,
        email=user.email,
        role=role.value,
        agency=agency.name if agency else None,
    )
    return membership


def revoke_role(
    session: Session, *, user: User, partnership: Partnership, membership_id: int, by: User
) -> None:
    membership = next((m for m in memberships_in(user, partnership) if m.id == membership_id), None)
    if membership is None:
        raise NotFound("Role not found")
    if user.id == by.id and membership.role is Role.PQA_ADMIN:
        raise DomainError("You cannot remove your own PQA administrator role")
    user.memberships.remove(membership)
    record_event(
        session,
        AuditEventType.ROLE_REVOKED,
        by=by,
        partnership=partnership,
        subject=user,
        email=user.email,
        role=membership.role.value,
        agency=membership.agency.name if membership.agency else None,
    )


def _check_managed_only_here(session: Session, user: User, partnership: Partnership) -> None:
    """Account-wide changes are for users whose roles are all in this partnership:
    one partnership must not lock someone out of another's work."""
    elsewhere = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, Membership.partnership_id != partnership.id)
    )
    if elsewhere or user.is_system_admin:
        raise DomainError(
            "This person also works in another partnership. Remove their roles here instead."
        )


def update_user_details(
    session: Session, *, user: User, partnership: Partnership, name: str, email: str, by: User
) -> None:
    email = normalise_email(email)
    before = {"name": user.name, "email": user.email}
    after = {"name": name, "email": email}
    if before == after:
        return
    if email != user.email:
        _check_managed_only_here(session, user, partnership)
        if get_user_by_email(session, email) is not None:
            raise DomainError("An account with this email address already exists", field="email")
    user.name = name
    user.email = email
    record_event(
        session,
        AuditEventType.USER_UPDATED,
        by=by,
        partnership=partnership,
        subject=user,
        before=before,
        after=after,
    )


def end_user_sessions(session: Session, user: User) -> int:
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return result.rowcount


def deactivate_user(session: Session, *, user: User, partnership: Partnership, by: User) -> None:
    if user.id == by.id:
        raise DomainError("You cannot deactivate your own account")
    _check_managed_only_here(session, user, partnership)
    if not user.active:
        return
    user.active = False
    ended = end_user_sessions(session, user)
    record_event(
        session,
        AuditEventType.USER_DEACTIVATED,
        by=by,
        partnership=partnership,
        subject=user,
        email=user.email,
        sessions_ended=ended,
    )


def reactivate_user(session: Session, *, user: User, partnership: Partnership, by: User) -> None:
    _check_managed_only_here(session, user, partnership)
    if user.active:
        return
    user.active = True
    user.failed_login_count = 0
    record_event(
        session,
        AuditEventType.USER_REACTIVATED,
        by=by,
        partnership=partnership,
        subject=user,
        email=user.email,
    )


def reset_password(session: Session, *, user: User, partnership: Partnership, by: User) -> str:
    """Give the user a temporary password (shown once) and end their sessions."""
    _check_managed_only_here(session, user, partnership)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.password_change_required = True
    user.failed_login_count = 0
    clear_account_failures(session, email=user.email)  # a reset lifts a sign-in lock
    end_user_sessions(session, user)
    record_event(
        session,
        AuditEventType.PASSWORD_RESET,
        by=by,
        partnership=partnership,
        subject=user,
        email=user.email,
    )
    return password


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    if not password_matches(user.password_hash, current):
        raise DomainError("Your current password is incorrect", field="current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"Password must be {MIN_PASSWORD_LENGTH} characters or more", field="new_password"
        )
    if new == current:
        raise DomainError(
            "New password must be different from your current password", field="new_password"
        )
    user.password_hash = hash_password(new)
    user.password_change_required = False
    record_event(session, AuditEventType.PASSWORD_CHANGED, by=user, subject=user)


def set_password(session: Session, *, user: User, password: str) -> None:
    """Set a password from the command line (no current password to check)."""
    user.password_hash = hash_password(password)
    user.password_change_required = False
