"""segment links: links between two passages (ATLAS.ti hyperlinks, MAXQDA links)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_document_id", sa.Integer(), nullable=False),
        sa.Column("source_start", sa.Integer(), nullable=False),
        sa.Column("source_end", sa.Integer(), nullable=False),
        sa.Column("target_document_id", sa.Integer(), nullable=False),
        sa.Column("target_start", sa.Integer(), nullable=False),
        sa.Column("target_end", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_document_id"], ["documents.id"],
                                name=op.f("fk_segment_links_source_document_id_documents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_document_id"], ["documents.id"],
                                name=op.f("fk_segment_links_target_document_id_documents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coder_id"], ["coders.id"], name=op.f("fk_segment_links_coder_id_coders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_links")),
    )
    with op.batch_alter_table("segment_links") as batch:
        batch.create_index(batch.f("ix_segment_links_source_document_id"), ["source_document_id"], unique=False)
        batch.create_index(batch.f("ix_segment_links_target_document_id"), ["target_document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segment_links") as batch:
        batch.drop_index(batch.f("ix_segment_links_target_document_id"))
        batch.drop_index(batch.f("ix_segment_links_source_document_id"))
    op.drop_table("segment_links")
