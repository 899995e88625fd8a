"""the imports that touched a person (imported_person: which job created or updated whom)

Revision ID: 5d2c7e1a9b34
Revises: b7d41c0e9a21
Create Date: 2026-12-02 18:20:00

"""
from alembic import op
import sqlalchemy as sa

import web.types


# revision identifiers, used by Alembic.
revision = '5d2c7e1a9b34'
down_revision = 'b7d41c0e9a21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('imported_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('at', web.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_imported_person_job_id_import_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_imported_person_volunteer_id_volunteer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_person'))
    )
    with op.batch_alter_table('imported_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_person_volunteer_id'), ['volunteer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('imported_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_person_volunteer_id'))

    op.drop_table('imported_person')
