"""the counter: rating source, online application number, holiday service, centre directory, pre-reviews,
catalogue change acknowledgements

ratings.source (applicant_screen | clerk_fallback; '' before), cases.online_app_no (网上预审 application
number), cases.holiday (节假日办理), catalogue_versions.centres_json (the centre directory carried in the
catalogue), prereviews (pre-reviewed online applications waiting at the window), catalogue_acks (a clerk
acknowledged what a catalogue version changed).

Revision ID: 0011_counter
Revises: 0010_backups

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0011_counter'
down_revision: Union[str, Sequence[str], None] = '0010_backups'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='', nullable=False))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online_app_no', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('holiday', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('catalogue_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('centres_json', sa.Text(), server_default='[]', nullable=False))
    op.create_table(
        'prereviews',
        sa.Column('app_no', sa.String(length=40), nullable=False),
        sa.Column('matter_code', sa.String(length=64), nullable=False),
        sa.Column('applicant_name', sa.String(length=400), nullable=False),
        sa.Column('applicant_id_no', sa.String(length=64), nullable=False),
        sa.Column('intake_json', sa.Text(), nullable=False),
        sa.Column('submitted_at', sa.String(length=32), server_default='', nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('case_no', sa.String(length=40), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('app_no', name=op.f('pk_prereviews')),
    )
    op.create_index('ix_prereviews_applicant_id_no', 'prereviews', ['applicant_id_no'])
    op.create_table(
        'catalogue_acks',
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('login', sa.String(length=64), nullable=False),
        sa.Column('acked_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('version', 'login', name=op.f('pk_catalogue_acks')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('catalogue_acks')
    op.drop_index('ix_prereviews_applicant_id_no', table_name='prereviews')
    op.drop_table('prereviews')
    with op.batch_alter_table('catalogue_versions', schema=None) as batch_op:
        batch_op.drop_column('centres_json')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('holiday')
        batch_op.drop_column('online_app_no')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_column('source')
