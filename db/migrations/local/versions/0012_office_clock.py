"""the department's clock steps folded into a case's dates

cases.office_clock_step: the id (yc.case_steps.id, central c0011) of the newest department clock step
(pause, resume, extension) folded into the case's dates, paused_since and extended_days; 0 = none. A window
applies a department clock step from the `cases` stream only once per case state, and carries the mark in
its next case.upsert, so a window that takes over that version folds in only the steps after it.

Revision ID: 0012_office_clock
Revises: 0011_counter

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0012_office_clock'
down_revision: Union[str, Sequence[str], None] = '0011_counter'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_clock_step', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('office_clock_step')
