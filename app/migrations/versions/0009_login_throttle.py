"""The login throttle's counts in the database (``login_throttle``), so that every worker process
of ``parksite serve --workers N`` enforces one limit per user name and per client address
(:mod:`app.api.throttle`). A new table only: nothing existing changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False, comment="user | address"),
        sa.Column(
            "key", sa.String(length=128), nullable=False, comment="user name (case-folded) or client address"
        ),
        sa.Column("kind", sa.String(length=8), nullable=False, comment="failure | pending | lockout"),
        sa.Column(
            "at",
            sa.Float(),
            nullable=False,
            comment="s since the epoch: the failure, the attempt's start, the lockout's end",
        ),
        sa.CheckConstraint("scope IN ('user', 'address')", name=op.f("ck_login_throttle_scope")),
        sa.CheckConstraint("kind IN ('failure', 'pending', 'lockout')", name=op.f("ck_login_throttle_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle") as batch_op:
        batch_op.create_index("ix_login_throttle_scope_key", ["scope", "key"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_throttle_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_throttle") as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_at"))
        batch_op.drop_index("ix_login_throttle_scope_key")
    op.drop_table("login_throttle")
