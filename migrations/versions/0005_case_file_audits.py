"""case-file audits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 06:17:33.131023
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("reference_prefix", sa.String(length=8), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_case_template_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_template")),
        sa.UniqueConstraint(
            "partnership_id", "key", name=op.f("uq_case_template_partnership_id_key")
        ),
    )
    with op.batch_alter_table("case_template", schema=None) as batch_op:
        batch_op.create_index(
            "uq_case_template_builtin_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("partnership_id IS NULL"),
            postgresql_where=sa.text("partnership_id IS NULL"),
        )

    op.create_table(
        "case_template_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "published", name="frameworkstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["case_template.id"],
            name=op.f("fk_case_template_version_template_id_case_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_template_version")),
        sa.UniqueConstraint(
            "template_id", "number", name=op.f("uq_case_template_version_template_id_number")
        ),
    )
    with op.batch_alter_table("case_template_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_template_version_template_id"), ["template_id"], unique=False
        )

    op.create_table(
        "case_audit_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("template_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("lookback_from", sa.Date(), nullable=False),
        sa.Column("lookback_to", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("moderation_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", name="roundstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_case_audit_round_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["template_version_id"],
            ["case_template_version.id"],
            name=op.f("fk_case_audit_round_template_version_id_case_template_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_audit_round")),
    )
    with op.batch_alter_table("case_audit_round", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_audit_round_partnership_id"), ["partnership_id"], unique=False
        )

    op.create_table(
        "case_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["case_template_version.id"],
            name=op.f("fk_case_section_version_id_case_template_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_section")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_case_section_version_id_key")),
    )
    with op.batch_alter_table("case_section", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_section_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "audit_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column(
            "age_band",
            sa.Enum(
                "under_1",
                "1_4",
                "5_9",
                "10_15",
                "16_17",
                name="ageband",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "plan_type",
            sa.Enum(
                "early_help",
                "child_in_need",
                "child_protection",
                "looked_after",
                name="plantype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("selection_reason", sa.Text(), nullable=False),
        sa.Column("overall_grade", sa.String(length=32), nullable=True),
        sa.Column("overall_rationale", sa.Text(), nullable=False),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"],
            ["user_account.id"],
            name=op.f("fk_audit_case_moderated_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_audit_case_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["case_audit_round.id"],
            name=op.f("fk_audit_case_round_id_case_audit_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_case")),
        sa.UniqueConstraint(
            "partnership_id", "reference", name=op.f("uq_audit_case_partnership_id_reference")
        ),
        sa.UniqueConstraint("round_id", "sequence", name=op.f("uq_audit_case_round_id_sequence")),
    )
    with op.batch_alter_table("audit_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_case_partnership_id"), ["partnership_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_case_round_id"), ["round_id"], unique=False)

    op.create_table(
        "case_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "graded",
                "yes_partly_no",
                "free_text",
                name="questionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["case_section.id"],
            name=op.f("fk_case_question_section_id_case_section"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_question")),
        sa.UniqueConstraint("section_id", "key", name=op.f("uq_case_question_section_id_key")),
    )
    with op.batch_alter_table("case_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_question_section_id"), ["section_id"], unique=False
        )

    op.create_table(
        "case_judgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=32), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["audit_case.id"], name=op.f("fk_case_judgement_case_id_audit_case")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["case_section.id"],
            name=op.f("fk_case_judgement_section_id_case_section"),
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["user_account.id"],
            name=op.f("fk_case_judgement_set_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_judgement")),
        sa.UniqueConstraint(
            "case_id", "section_id", name=op.f("uq_case_judgement_case_id_section_id")
        ),
    )
    with op.batch_alter_table("case_judgement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_judgement_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_learning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "theme",
            sa.Enum(
                "information_sharing",
                "voice_of_child",
                "professional_curiosity",
                "risk_assessment",
                "escalation",
                "management_oversight",
                "recording",
                "fathers_and_male_carers",
                "transitions",
                "thresholds",
                "other",
                name="learningtheme",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user_account.id"], name=op.f("fk_case_learning_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["audit_case.id"], name=op.f("fk_case_learning_case_id_audit_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_learning")),
    )
    with op.batch_alter_table("case_learning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_learning_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "submitted",
                "reopened",
                name="casereturnstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("last_activity_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("reopened_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_case_return_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["audit_case.id"], name=op.f("fk_case_return_case_id_audit_case")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_case_return_submitted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_return")),
        sa.UniqueConstraint("case_id", "agency_id", name=op.f("uq_case_return_case_id_agency_id")),
    )
    with op.batch_alter_table("case_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_return_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_return_case_id"), ["case_id"], unique=False)

    op.create_table(
        "safeguarding_concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("follow_up_by", sa.String(length=200), nullable=False),
        sa.Column("follow_up_agency_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["audit_case.id"], name=op.f("fk_safeguarding_concern_case_id_audit_case")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user_account.id"],
            name=op.f("fk_safeguarding_concern_closed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_agency_id"],
            ["agency.id"],
            name=op.f("fk_safeguarding_concern_follow_up_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_safeguarding_concern_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["user_account.id"],
            name=op.f("fk_safeguarding_concern_raised_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_concern")),
    )
    with op.batch_alter_table("safeguarding_concern", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safeguarding_concern_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_safeguarding_concern_partnership_id"), ["partnership_id"], unique=False
        )

    op.create_table(
        "case_section_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_return_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("good_practice", sa.Text(), nullable=False),
        sa.Column("development", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_return_id"],
            ["case_return.id"],
            name=op.f("fk_case_section_return_case_return_id_case_return"),
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["case_section.id"],
            name=op.f("fk_case_section_return_section_id_case_section"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_case_section_return_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_section_return")),
        sa.UniqueConstraint(
            "case_return_id",
            "section_id",
            name=op.f("uq_case_section_return_case_return_id_section_id"),
        ),
    )
    with op.batch_alter_table("case_section_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_section_return_case_return_id"), ["case_return_id"], unique=False
        )

    op.create_table(
        "case_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_return_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=32), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["case_question.id"],
            name=op.f("fk_case_answer_question_id_case_question"),
        ),
        sa.ForeignKeyConstraint(
            ["section_return_id"],
            ["case_section_return.id"],
            name=op.f("fk_case_answer_section_return_id_case_section_return"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_answer")),
        sa.UniqueConstraint(
            "section_return_id",
            "question_id",
            name=op.f("uq_case_answer_section_return_id_question_id"),
        ),
    )
    with op.batch_alter_table("case_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_answer_section_return_id"), ["section_return_id"], unique=False
        )

    with _action_updates_set_aside(), op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_action_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_action_case_id_audit_case"), "audit_case", ["case_id"], ["id"]
        )


@contextmanager
def _action_updates_set_aside() -> Iterator[None]:
    """On SQLite, batch mode rebuilds `action` and drops the old table, which foreign
    keys refuse while progress updates point at it (and they cannot be turned off inside
    the migration's transaction). Set the updates aside for the rebuild, then put them
    back: the rebuilt table keeps every action's id."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    op.execute("CREATE TEMPORARY TABLE action_update_aside AS SELECT * FROM action_update")
    op.execute("DELETE FROM action_update")
    yield
    op.execute("INSERT INTO action_update SELECT * FROM action_update_aside")
    op.execute("DROP TABLE action_update_aside")


def downgrade() -> None:
    with _action_updates_set_aside(), op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_action_case_id_audit_case"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_case_id"))
        batch_op.drop_column("case_id")

    with op.batch_alter_table("case_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_answer_section_return_id"))

    op.drop_table("case_answer")
    with op.batch_alter_table("case_section_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_section_return_case_return_id"))

    op.drop_table("case_section_return")
    with op.batch_alter_table("safeguarding_concern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safeguarding_concern_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_safeguarding_concern_case_id"))

    op.drop_table("safeguarding_concern")
    with op.batch_alter_table("case_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_return_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_return_agency_id"))

    op.drop_table("case_return")
    with op.batch_alter_table("case_learning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_learning_case_id"))

    op.drop_table("case_learning")
    with op.batch_alter_table("case_judgement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_judgement_case_id"))

    op.drop_table("case_judgement")
    with op.batch_alter_table("case_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_question_section_id"))

    op.drop_table("case_question")
    with op.batch_alter_table("audit_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_case_round_id"))
        batch_op.drop_index(batch_op.f("ix_audit_case_partnership_id"))

    op.drop_table("audit_case")
    with op.batch_alter_table("case_section", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_section_version_id"))

    op.drop_table("case_section")
    with op.batch_alter_table("case_audit_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_audit_round_partnership_id"))

    op.drop_table("case_audit_round")
    with op.batch_alter_table("case_template_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_template_version_template_id"))

    op.drop_table("case_template_version")
    with op.batch_alter_table("case_template", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_case_template_builtin_key",
            sqlite_where=sa.text("partnership_id IS NULL"),
            postgresql_where=sa.text("partnership_id IS NULL"),
        )

    op.drop_table("case_template")
