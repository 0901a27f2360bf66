"""Personal API tokens, with which BI tools (Power BI, Excel Power Query) read one
partnership's figures through the JSON API.

A token is shown once, when it is made; only its SHA-256 is stored, so a copy of the
database cannot be used to call the API. It works only while its holder could still see
the same figures in the browser: the account is active and still a PQA administrator in
the token's partnership. Taking the role away or deactivating the account stops every
token at once, without anyone having to remember to revoke them.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..audit_trail import AuditEventType, record_event
from ..models import ApiToken, Partnership, Role, User, utcnow
from . import DomainError, NotFound
from .users import roles_in

# A recognisable prefix lets secret scanners (and people) spot a leaked token.
TOKEN_PREFIX = "sat_"  # noqa: S105 (a prefix, not a secret)
MAX_NAME_LENGTH = 100  # ApiToken.name


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session, *, user: User, partnership: Partnership, name: str, by: User
) -> tuple[ApiToken, str]:
    """Make a token for `user` in `partnership`. Returns it with its plaintext, which is
    never stored: show it once and let it go."""
    name = name.strip()
    if not name:
        raise DomainError("Enter a name for the token", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(f"Token name must be {MAX_NAME_LENGTH} characters or fewer", field="name")
    if Role.PQA_ADMIN not in roles_in(user, partnership):
        raise DomainError("Only PQA administrators can have API tokens")
    if any(
        t.name == name and t.active
        for t in list_tokens(session, user=user, partnership=partnership)
    ):
        raise DomainError("You already have a token with this name", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, partnership=partnership, name=name, token_hash=_token_hash(raw))
    session.add(token)
    session.flush()
    record_event(
        session,
        AuditEventType.API_TOKEN_CREATED,
        by=by,
        partnership=partnership,
        subject=token,
        name=name,
    )
    return token, raw


def list_tokens(session: Session, *, user: User, partnership: Partnership) -> list[ApiToken]:
    """The user's own tokens for this partnership, newest first (revoked ones too)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.partnership_id == partnership.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get_token(session: Session, *, user: User, partnership: Partnership, token_id: int) -> ApiToken:
    """One of the user's own tokens for this partnership; NotFound for anyone else's."""
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.id == token_id,
            ApiToken.user_id == user.id,
            ApiToken.partnership_id == partnership.id,
        )
    )
    if token is None:
        raise NotFound("API token not found")
    return token


def revoke_token(session: Session, *, token: ApiToken, by: User) -> None:
    """Stop a token working. Revoking one already revoked changes nothing."""
    if not token.active:
        return
    token.revoked_at = utcnow()
    session.flush()
    record_event(
        session,
        AuditEventType.API_TOKEN_REVOKED,
        by=by,
        partnership=token.partnership,
        subject=token,
        name=token.name,
    )


def authenticate_token(session: Session, raw: str) -> ApiToken | None:
    """The token for this plaintext if it may be used now, otherwise None: unknown,
    revoked, or its holder deactivated or no longer a PQA administrator there."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(
        select(ApiToken)
        .options(
            joinedload(ApiToken.user).selectinload(User.memberships),
            joinedload(ApiToken.partnership),
        )
        .where(ApiToken.token_hash == _token_hash(raw))
    )
    if token is None or not token.active or not token.user.active:
        return None
    if Role.PQA_ADMIN not in roles_in(token.user, token.partnership):
        return None
    return token
