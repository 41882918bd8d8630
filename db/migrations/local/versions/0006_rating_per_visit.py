"""rating per visit

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # one rating per visit: the key becomes (case_no, occasion); SQLite needs the table rebuilt for that
    with op.batch_alter_table('ratings', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('occasion', sa.String(length=16), server_default='intake', nullable=False))
        batch_op.drop_constraint('pk_ratings', type_='primary')
        batch_op.create_primary_key('pk_ratings', ['case_no', 'occasion'])


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM ratings WHERE occasion <> 'intake'")
    with op.batch_alter_table('ratings', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_ratings', type_='primary')
        batch_op.drop_column('occasion')
        batch_op.create_primary_key('pk_ratings', ['case_no'])
