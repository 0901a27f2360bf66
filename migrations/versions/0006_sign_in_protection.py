"""sign-in protection: failed sign-ins counted per account and address, and TOTP
two-factor sign-in (the secret is stored as is: the app must read it to check codes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 06:28:36.983559
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("account", "address", name="throttlescope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_login_throttle_scope_key")),
    )
    # Plain ALTER TABLE, not batch mode: a batch rebuild of user_account would drop a
    # table every other table refers to, which SQLite refuses with foreign keys on.
    # SQLite has added and dropped plain columns in place since 3.35.
    op.add_column("user_account", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("user_account", sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
    op.add_column("user_account", sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("user_account", "totp_last_step")
    op.drop_column("user_account", "totp_enabled_at")
    op.drop_column("user_account", "totp_secret")
    op.drop_table("login_throttle")
