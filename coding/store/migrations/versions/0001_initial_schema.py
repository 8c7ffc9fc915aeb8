"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 12:19:39.880940
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coders')),
    sa.UniqueConstraint('name', name=op.f('uq_coders_name'))
    )
    op.create_table('codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('parent_key', sa.String(length=100), nullable=True),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('codable', sa.Boolean(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_codes')),
    sa.UniqueConstraint('key', name=op.f('uq_codes_key'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('codebook_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['saved_by'], ['coders.id'], name=op.f('fk_codebook_versions_saved_by_coders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_codebook_versions'))
    )
    with op.batch_alter_table('codebook_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_codebook_versions_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('filename', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=True),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('n_chars', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=40), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('cases', sa.JSON(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['coders.id'], name=op.f('fk_documents_imported_by_coders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('sha256', name=op.f('uq_documents_sha256'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_kind'), ['kind'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('entity', sa.String(length=50), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['coder_id'], ['coders.id'], name=op.f('fk_events_coder_id_coders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_at'), ['at'], unique=False)

    op.create_table('segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('idx', sa.Integer(), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('speaker', sa.String(length=100), nullable=True),
    sa.Column('words', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_segments_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    sa.UniqueConstraint('document_id', 'unit', 'idx', name=op.f('uq_segments_document_id_unit_idx'))
    )
    op.create_table('code_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('made_by', sa.String(length=200), nullable=True),
    sa.Column('suggestion_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['codes.id'], name=op.f('fk_code_applications_code_id_codes')),
    sa.ForeignKeyConstraint(['coder_id'], ['coders.id'], name=op.f('fk_code_applications_coder_id_coders')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_code_applications_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_code_applications_segment_id_segments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['code_applications.id'], name=op.f('fk_code_applications_suggestion_id_code_applications'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_applications'))
    )
    with op.batch_alter_table('code_applications', schema=None) as batch_op:
        batch_op.create_index('ix_code_applications_document_code', ['document_id', 'code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_code_applications_segment_id'), ['segment_id'], unique=False)
        batch_op.create_index('ix_code_applications_status_coder', ['status', 'coder_id'], unique=False)

    op.create_table('memos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('coder_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['code_applications.id'], name=op.f('fk_memos_application_id_code_applications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['code_id'], ['codes.id'], name=op.f('fk_memos_code_id_codes')),
    sa.ForeignKeyConstraint(['coder_id'], ['coders.id'], name=op.f('fk_memos_coder_id_coders')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_memos_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_memos_segment_id_segments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memos'))
    )


def downgrade() -> None:
    op.drop_table('memos')
    with op.batch_alter_table('code_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_code_applications_status_coder')
        batch_op.drop_index(batch_op.f('ix_code_applications_segment_id'))
        batch_op.drop_index('ix_code_applications_document_code')

    op.drop_table('code_applications')
    op.drop_table('segments')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_at'))
        batch_op.drop_index(batch_op.f('ix_events_action'))

    op.drop_table('events')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_kind'))

    op.drop_table('documents')
    with op.batch_alter_table('codebook_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_codebook_versions_fingerprint'))

    op.drop_table('codebook_versions')
    op.drop_table('settings')
    op.drop_table('codes')
    op.drop_table('coders')
