"""teams: accounts with roles, document assignments, adjudication layer

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coders") as batch:
        batch.add_column(sa.Column("role", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("code_applications") as batch:
        batch.add_column(sa.Column("layer", sa.String(length=12), nullable=False, server_default="coding"))
        batch.add_column(sa.Column("based_on", sa.JSON(), nullable=True))
        batch.create_index(batch.f("ix_code_applications_layer"), ["layer"], unique=False)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_assignments_document_id_documents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coder_id"], ["coders.id"], name=op.f("fk_assignments_coder_id_coders")),
        sa.ForeignKeyConstraint(["assigned_by"], ["coders.id"], name=op.f("fk_assignments_assigned_by_coders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("document_id", "coder_id", name=op.f("uq_assignments_document_id_coder_id")),
    )


def downgrade() -> None:
    op.drop_table("assignments")
    with op.batch_alter_table("code_applications") as batch:
        batch.drop_index(batch.f("ix_code_applications_layer"))
        batch.drop_column("based_on")
        batch.drop_column("layer")
    with op.batch_alter_table("coders") as batch:
        batch.drop_column("active")
        batch.drop_column("password_hash")
        batch.drop_column("role")
