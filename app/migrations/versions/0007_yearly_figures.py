"""亩均效益 figures: ``enterprise_yearly`` gains 工业增加值, 营业收入, 用电量, 主要污染物排放 (t, one
number beside the per-pollutant ``emissions``), 规模 (规上 ``above`` / 规下 ``below``), 投产年份 and
行业类型 (e.g. 公用事业). Nullable columns: no table rebuild on SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("value_added_wan", sa.Float(), nullable=True, comment="工业增加值, 万元"),
        sa.Column("revenue_wan", sa.Float(), nullable=True, comment="营业收入, 万元"),
        sa.Column("power_10k_kwh", sa.Float(), nullable=True, comment="用电量, 万 kWh"),
        sa.Column("emissions_t", sa.Float(), nullable=True, comment="主要污染物排放, t"),
        sa.Column("scale", sa.String(length=8), nullable=True, comment="above (规上) | below (规下)"),
        sa.Column("producing_year", sa.Integer(), nullable=True, comment="投产年份"),
        sa.Column("kind", sa.String(length=50), nullable=True, comment="行业类型, e.g. 公用事业"),
    )


def upgrade() -> None:
    with op.batch_alter_table("enterprise_yearly") as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("enterprise_yearly") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
