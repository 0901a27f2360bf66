from __future__ import annotations

import secrets

from werkzeug.security import check_password_hash, generate_password_hash

# Four groups of four from an alphabet without look-alike characters, so a temporary
# password can be read out over the phone. About 80 bits of entropy.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

# A hash to check against when the email is unknown, so a failed login takes the same
# time whether or not the account exists.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method="scrypt")

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)


def generate_password() -> str:
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)
