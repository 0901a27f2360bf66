"""heat map indexes: what scores and flag rules read of answers and evidence items,
in place of the plain indexes on their parents' ids (each new index starts with that id,
so it serves those lookups too).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain CREATE and DROP INDEX, not batch mode: SQLite does both in place, and a batch
    # rebuild of criterion_response would drop a table evidence_item refers to.
    op.create_index(
        "ix_criterion_response_scores",
        "criterion_response",
        ["assessment_id", "criterion_id", "not_applicable", "level_id"],
    )
    op.drop_index("ix_criterion_response_assessment_id", table_name="criterion_response")
    op.create_index(
        "ix_evidence_item_review", "evidence_item", ["response_id", "removed_at", "review_on"]
    )
    op.drop_index("ix_evidence_item_response_id", table_name="evidence_item")


def downgrade() -> None:
    op.create_index("ix_evidence_item_response_id", "evidence_item", ["response_id"])
    op.drop_index("ix_evidence_item_review", table_name="evidence_item")
    op.create_index("ix_criterion_response_assessment_id", "criterion_response", ["assessment_id"])
    op.drop_index("ix_criterion_response_scores", table_name="criterion_response")
