"""AB角: a backup clerk named by a supervisor for an absent clerk, for a period

Revision ID: 0010_backups
Revises: 0009_loop

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0010_backups'
down_revision: Union[str, Sequence[str], None] = '0009_loop'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'backups',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('clerk_login', sa.String(length=64), nullable=False),
        sa.Column('backup_login', sa.String(length=64), nullable=False),
        sa.Column('date_from', sa.Date(), nullable=False),
        sa.Column('date_to', sa.Date(), nullable=False),
        sa.Column('assigned_by', sa.String(length=64), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.Column('window_no', sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backups')),
    )
    op.create_index(op.f('ix_backups_clerk_login'), 'backups', ['clerk_login'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_backups_clerk_login'), table_name='backups')
    op.drop_table('backups')
