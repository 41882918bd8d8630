"""provisional deadlines at year end, documents owed

A case whose deadline reaches into a year without published holidays is taken with its date pending
(待定) instead of being refused; `clock_shift_days` keeps the working days a paused clock added, so a
pending date can be computed from the day the file was complete when the calendar arrives.

Revision ID: 0007
Revises: 0006

"""
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SKIPPED = re.compile(r"^(\d+) 个工作日不计入时限")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_shift_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('deadline_pending', sa.Boolean(), server_default='0', nullable=False))
    op.create_table(
        'documents_owed',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('case_no', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('settled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_documents_owed_case_no_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_documents_owed')),
    )
    with op.batch_alter_table('documents_owed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_owed_case_no'), ['case_no'], unique=False)
    # the shift of cases resumed before this revision, from their history ("N 个工作日不计入时限")
    conn = op.get_bind()
    shifts: dict[str, int] = {}
    for case_no, detail in conn.execute(sa.text(
            "SELECT case_no, detail FROM case_events WHERE event = 'clock.resumed'")):
        m = _SKIPPED.match(detail or "")
        if m:
            shifts[case_no] = shifts.get(case_no, 0) + int(m.group(1))
    for case_no, days in shifts.items():
        conn.execute(sa.text("UPDATE cases SET clock_shift_days = :d WHERE case_no = :c"),
                     {"d": days, "c": case_no})


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('documents_owed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_owed_case_no'))
    op.drop_table('documents_owed')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('deadline_pending')
        batch_op.drop_column('clock_shift_days')
