"""the window's chain: outbox and audit records carry a sequence number, the previous MAC and their own

The chain's key lives in the OS keyring, never in the store, so this revision cannot compute MACs: rows
that exist at upgrade are left with NULL chain columns, and desktop/core/chain.py chains them (in one
transaction) when it makes the window's key, at the first open of the upgraded store.

Revision ID: 0008_chain
Revises: 0007

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008_chain'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_prev', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_mac', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_chain_seq', ['chain_seq'], unique=True)
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('audit_prev', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('audit_mac', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_audit_audit_seq', ['audit_seq'], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_audit_seq')
        batch_op.drop_column('audit_mac')
        batch_op.drop_column('audit_prev')
        batch_op.drop_column('audit_seq')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chain_seq')
        batch_op.drop_column('chain_mac')
        batch_op.drop_column('chain_prev')
        batch_op.drop_column('chain_seq')
