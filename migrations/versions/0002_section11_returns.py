"""section 11 frameworks, cycles and returns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:07:34.631557
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_framework_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework")),
        sa.UniqueConstraint("partnership_id", "key", name=op.f("uq_framework_partnership_id_key")),
    )
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.create_index(
            "uq_framework_builtin_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("partnership_id IS NULL"),
            postgresql_where=sa.text("partnership_id IS NULL"),
        )

    op.create_table(
        "framework_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", name="frameworkstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scale_key", sa.String(length=64), nullable=False),
        sa.Column("scale_name", sa.String(length=200), nullable=False),
        sa.Column("scale_description", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
            name=op.f("fk_framework_version_framework_id_framework"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_version")),
        sa.UniqueConstraint(
            "framework_id", "number", name=op.f("uq_framework_version_framework_id_number")
        ),
    )
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_framework_version_framework_id"), ["framework_id"], unique=False
        )

    op.create_table(
        "audit_cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="cyclestatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("panel_from", sa.Date(), nullable=True),
        sa.Column("panel_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_audit_cycle_framework_version_id_framework_version"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_audit_cycle_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_cycle")),
    )
    with op.batch_alter_table("audit_cycle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_cycle_partnership_id"), ["partnership_id"], unique=False
        )

    op.create_table(
        "scale_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("needs_action", sa.Boolean(), nullable=False),
        sa.Column("needs_evidence", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_scale_level_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scale_level")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_scale_level_version_id_key")),
    )
    with op.batch_alter_table("scale_level", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scale_level_version_id"), ["version_id"], unique=False)

    op.create_table(
        "standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
            name=op.f("fk_standard_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_standard_version_id_key")),
    )
    with op.batch_alter_table("standard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_standard_version_id"), ["version_id"], unique=False)

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "submitted",
                "reopened",
                name="assessmentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("carried_from_id", sa.Integer(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("declaration_name", sa.String(length=200), nullable=True),
        sa.Column("declaration_role", sa.String(length=200), nullable=True),
        sa.Column("reopened_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_assessment_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["carried_from_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_carried_from_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["audit_cycle.id"], name=op.f("fk_assessment_cycle_id_audit_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_assessment_submitted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("cycle_id", "agency_id", name=op.f("uq_assessment_cycle_id_agency_id")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("essential", sa.Boolean(), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("allow_na", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["standard_id"], ["standard.id"], name=op.f("fk_criterion_standard_id_standard")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criterion")),
        sa.UniqueConstraint("standard_id", "key", name=op.f("uq_criterion_standard_id_key")),
    )
    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_criterion_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_criterion_standard_id"), ["standard_id"], unique=False)

    op.create_table(
        "criterion_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=True),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("improvement", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("action_owner", sa.String(length=200), nullable=False),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("review_needed", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_criterion_response_assessment_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["criterion.id"],
            name=op.f("fk_criterion_response_criterion_id_criterion"),
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["scale_level.id"],
            name=op.f("fk_criterion_response_level_id_scale_level"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_criterion_response_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criterion_response")),
        sa.UniqueConstraint(
            "assessment_id",
            "criterion_id",
            name=op.f("uq_criterion_response_assessment_id_criterion_id"),
        ),
    )
    with op.batch_alter_table("criterion_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_criterion_response_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_criterion_response_criterion_id"), ["criterion_id"], unique=False
        )

    op.create_table(
        "evidence_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=True),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["criterion_response.id"],
            name=op.f("fk_evidence_item_response_id_criterion_response"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_item")),
    )
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_item_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_item_response_id"))

    op.drop_table("evidence_item")
    with op.batch_alter_table("criterion_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_criterion_response_criterion_id"))
        batch_op.drop_index(batch_op.f("ix_criterion_response_assessment_id"))

    op.drop_table("criterion_response")
    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_criterion_standard_id"))
        batch_op.drop_index(batch_op.f("ix_criterion_key"))

    op.drop_table("criterion")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_cycle_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_agency_id"))

    op.drop_table("assessment")
    with op.batch_alter_table("standard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standard_version_id"))

    op.drop_table("standard")
    with op.batch_alter_table("scale_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scale_level_version_id"))

    op.drop_table("scale_level")
    with op.batch_alter_table("audit_cycle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_cycle_partnership_id"))

    op.drop_table("audit_cycle")
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_version_framework_id"))

    op.drop_table("framework_version")
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_framework_builtin_key",
            sqlite_where=sa.text("partnership_id IS NULL"),
            postgresql_where=sa.text("partnership_id IS NULL"),
        )

    op.drop_table("framework")
