"""the centre-wide loop: pulled cases, the back office's decision, where each step was taken

A window continues any case of its centre: Case.decision_json (the back office's decision as published),
Case.last_window_no (the window of the latest version), CaseEvent.window_no (where a step was taken), and
central_cases, the centre's latest snapshot of each case (restored when the centre refuses our version).

Revision ID: 0009_loop
Revises: 0008_docno

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009_loop'
down_revision: Union[str, Sequence[str], None] = '0008_docno'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_json', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_window_no', sa.String(length=8), server_default='', nullable=False))
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_no', sa.String(length=8), server_default='', nullable=False))
    op.create_table(
        'central_cases',
        sa.Column('case_no', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('data_json', sa.Text(), nullable=False),
        sa.Column('pulled_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('case_no', name=op.f('pk_central_cases')),
    )
    # what this window made so far was made here
    op.execute("UPDATE cases SET last_window_no = window_no")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('central_cases')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('window_no')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('last_window_no')
        batch_op.drop_column('decision_json')
