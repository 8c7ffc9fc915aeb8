"""trained models stored in the project

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trained_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("n_examples", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["coders.id"], name=op.f("fk_trained_models_created_by_coders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trained_models")),
        sa.UniqueConstraint("version", name=op.f("uq_trained_models_version")),
    )


def downgrade() -> None:
    op.drop_table("trained_models")
