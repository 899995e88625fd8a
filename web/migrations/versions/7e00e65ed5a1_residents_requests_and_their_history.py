"""residents' requests (issue 17): need_request, its history (need_event), the stations' queues (need_station)

Revision ID: 7e00e65ed5a1
Revises: 5d2c7e1a9b34
Create Date: 2026-12-02 18:47:03.865452

"""
from alembic import op
import sqlalchemy as sa

import web.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '7e00e65ed5a1'
down_revision = '5d2c7e1a9b34'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('need_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('target_group', sa.String(length=30), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('asap', sa.Boolean(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('close_reason', sa.String(length=20), nullable=True),
    sa.Column('served_at', web.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', web.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', web.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', web.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', web.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_need_request_rating')),
    sa.CheckConstraint('to_date IS NULL OR from_date IS NULL OR to_date >= from_date', name=op.f('ck_need_request_dates')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_need_request_station_id_station'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_need_request_task_id_task'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_need_request_reference'))
    )
    with op.batch_alter_table('need_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_request_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_request_station_id'), ['station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_request_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_request_updated_at'), ['updated_at'], unique=False)

    op.create_table('need_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('at', web.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need_request.id'], name=op.f('fk_need_event_need_id_need_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_event'))
    )
    with op.batch_alter_table('need_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_event_need_id'), ['need_id'], unique=False)

    op.create_table('need_station',
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need_request.id'], name=op.f('fk_need_station_need_id_need_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_need_station_station_id_station'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('need_id', 'station_id', name=op.f('pk_need_station'))
    )
    with op.batch_alter_table('need_station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_station_station_id'), ['station_id'], unique=False)



def downgrade():
    with op.batch_alter_table('need_station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_station_station_id'))

    op.drop_table('need_station')
    with op.batch_alter_table('need_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_event_need_id'))

    op.drop_table('need_event')
    with op.batch_alter_table('need_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_request_updated_at'))
        batch_op.drop_index(batch_op.f('ix_need_request_task_id'))
        batch_op.drop_index(batch_op.f('ix_need_request_status'))
        batch_op.drop_index(batch_op.f('ix_need_request_station_id'))
        batch_op.drop_index(batch_op.f('ix_need_request_district'))

    op.drop_table('need_request')
