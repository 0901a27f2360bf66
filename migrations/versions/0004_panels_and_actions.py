"""challenge panels and the action tracker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:50:04.965756
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "panel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.String(length=5), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "signed_off",
                name="panelstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chair_id"], ["user_account.id"], name=op.f("fk_panel_chair_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["audit_cycle.id"], name=op.f("fk_panel_cycle_id_audit_cycle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel")),
    )
    with op.batch_alter_table("panel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "panel_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=5), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "assured",
                "partially_assured",
                "not_assured",
                name="outcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_summary", sa.Text(), nullable=False),
        sa.Column("private_notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_panel_agency_assessment_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["panel.id"], name=op.f("fk_panel_agency_panel_id_panel")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_agency")),
        sa.UniqueConstraint(
            "panel_id", "assessment_id", name=op.f("uq_panel_agency_panel_id_assessment_id")
        ),
    )
    with op.batch_alter_table("panel_agency", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_panel_agency_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_panel_agency_panel_id"), ["panel_id"], unique=False)

    op.create_table(
        "panel_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_id"], ["panel.id"], name=op.f("fk_panel_member_panel_id_panel")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_panel_member_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_member")),
        sa.UniqueConstraint("panel_id", "user_id", name=op.f("uq_panel_member_panel_id_user_id")),
    )
    with op.batch_alter_table("panel_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_member_panel_id"), ["panel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_panel_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_agency_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=True),
        sa.Column("standard_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"], ["criterion.id"], name=op.f("fk_challenge_criterion_id_criterion")
        ),
        sa.ForeignKeyConstraint(
            ["panel_agency_id"],
            ["panel_agency.id"],
            name=op.f("fk_challenge_panel_agency_id_panel_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["user_account.id"],
            name=op.f("fk_challenge_raised_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["responded_by_id"],
            ["user_account.id"],
            name=op.f("fk_challenge_responded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"], ["standard.id"], name=op.f("fk_challenge_standard_id_standard")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge")),
    )
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_challenge_panel_agency_id"), ["panel_agency_id"], unique=False
        )

    op.create_table(
        "moderated_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("panel_agency_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["criterion.id"],
            name=op.f("fk_moderated_rating_criterion_id_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["level_id"], ["scale_level.id"], name=op.f("fk_moderated_rating_level_id_scale_level")
        ),
        sa.ForeignKeyConstraint(
            ["panel_agency_id"],
            ["panel_agency.id"],
            name=op.f("fk_moderated_rating_panel_agency_id_panel_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["user_account.id"],
            name=op.f("fk_moderated_rating_set_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderated_rating")),
        sa.UniqueConstraint(
            "panel_agency_id",
            "criterion_id",
            name=op.f("uq_moderated_rating_panel_agency_id_criterion_id"),
        ),
    )
    with op.batch_alter_table("moderated_rating", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderated_rating_panel_agency_id"), ["panel_agency_id"], unique=False
        )

    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "return", "panel", "case_audit", name="actionsource", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("criterion_id", sa.Integer(), nullable=True),
        sa.Column("panel_agency_id", sa.Integer(), nullable=True),
        sa.Column("challenge_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "in_progress", "closed", name="actionstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_action_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_action_assessment_id_assessment")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_action_challenge_id_challenge")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["user_account.id"], name=op.f("fk_action_closed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"], ["criterion.id"], name=op.f("fk_action_criterion_id_criterion")
        ),
        sa.ForeignKeyConstraint(
            ["panel_agency_id"],
            ["panel_agency.id"],
            name=op.f("fk_action_panel_agency_id_panel_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_action_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_action_partnership_id"), ["partnership_id"], unique=False
        )
        batch_op.create_index(
            "uq_action_return_answer",
            ["assessment_id", "criterion_id"],
            unique=True,
            sqlite_where=sa.text("source = 'return'"),
            postgresql_where=sa.text("source = 'return'"),
        )

    op.create_table(
        "action_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_reference", sa.String(length=500), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_action_update_action_id_action")
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user_account.id"], name=op.f("fk_action_update_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_update")),
    )
    with op.batch_alter_table("action_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_update_action_id"), ["action_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_update_action_id"))

    op.drop_table("action_update")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_action_return_answer",
            sqlite_where=sa.text("source = 'return'"),
            postgresql_where=sa.text("source = 'return'"),
        )
        batch_op.drop_index(batch_op.f("ix_action_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_action_agency_id"))

    op.drop_table("action")
    with op.batch_alter_table("moderated_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderated_rating_panel_agency_id"))

    op.drop_table("moderated_rating")
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_panel_agency_id"))

    op.drop_table("challenge")
    with op.batch_alter_table("panel_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_panel_member_panel_id"))

    op.drop_table("panel_member")
    with op.batch_alter_table("panel_agency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_agency_panel_id"))
        batch_op.drop_index(batch_op.f("ix_panel_agency_assessment_id"))

    op.drop_table("panel_agency")
    with op.batch_alter_table("panel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_cycle_id"))

    op.drop_table("panel")
