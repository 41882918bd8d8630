"""document numbers: the register of 文号 issued by this window

Every decision document (受理通知书, 不予受理通知书, 补正材料通知书, the clock notices) carries a number
authority short name + kind + 〔year〕 + window number + a per-window, per-kind, per-year serial, issued in the
transaction that records the print (windows number offline; the window number keeps them unique per centre).

Revision ID: 0008_docno
Revises: 0008_lockout

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008_docno'
down_revision: Union[str, Sequence[str], None] = '0008_lockout'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'document_numbers',
        sa.Column('doc_no', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('window_no', sa.String(length=8), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('case_no', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_document_numbers_case_no_cases')),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_document_numbers_document_id_documents')),
        sa.PrimaryKeyConstraint('doc_no', name=op.f('pk_document_numbers')),
        sa.UniqueConstraint('code', 'year', 'window_no', 'serial', name='uq_document_numbers_serial'),
    )
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_numbers_case_no'), ['case_no'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('document_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_numbers_case_no'))
    op.drop_table('document_numbers')
