"""an import's language (its report is written in it)

Revision ID: b7d41c0e9a21
Revises: e8b5e9f98c0b
Create Date: 2026-12-02 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41c0e9a21'
down_revision = 'e8b5e9f98c0b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='en', nullable=False))


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('language')
