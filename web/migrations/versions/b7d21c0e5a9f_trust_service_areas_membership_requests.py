"""trust: station service areas, requests to join a station, verified identity keys, audit of match and plan calls

Revision ID: b7d21c0e5a9f
Revises: a1e3601edff0
Create Date: 2026-12-02 06:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b7d21c0e5a9f'
down_revision = 'a1e3601edff0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_area_km', sa.Float(), server_default='30', nullable=False))

    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_station_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('identity_verified', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index(batch_op.f('ix_volunteer_requested_station_id'), ['requested_station_id'], unique=False)
        batch_op.create_foreign_key('fk_volunteer_requested_station_id_station', 'station', ['requested_station_id'],
                                    ['id'], ondelete='SET NULL')

    # People who signed up themselves typed their own phone and ID number: nobody has vouched for them.
    op.execute("UPDATE volunteer SET identity_verified = false WHERE id IN "
               "(SELECT volunteer_id FROM api_token WHERE name = 'sign-up' AND volunteer_id IS NOT NULL)")

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('volunteer_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_column('detail')
    op.execute("DELETE FROM audit_entry WHERE volunteer_id IS NULL")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('volunteer_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_constraint('fk_volunteer_requested_station_id_station', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_volunteer_requested_station_id'))
        batch_op.drop_column('identity_verified')
        batch_op.drop_column('requested_station_id')

    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('service_area_km')
