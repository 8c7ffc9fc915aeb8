"""index decisions by the suggestion they decide ("pending for coder X" looks them up)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("code_applications") as batch:
        batch.create_index(batch.f("ix_code_applications_suggestion_id"), ["suggestion_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("code_applications") as batch:
        batch.drop_index(batch.f("ix_code_applications_suggestion_id"))
