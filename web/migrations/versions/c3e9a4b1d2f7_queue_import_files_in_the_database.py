"""queue: import uploads and reports kept in the database, import attempts

Revision ID: c3e9a4b1d2f7
Revises: b7d21c0e5a9f
Create Date: 2026-12-02 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import web.types

# revision identifiers, used by Alembic.
revision = 'c3e9a4b1d2f7'
down_revision = 'b7d21c0e5a9f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_file',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', web.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_file_job_id_import_job'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'kind', name=op.f('pk_import_file')),
    )
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_file_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('attempts')
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_file_created_at'))
    op.drop_table('import_file')
