"""Land supply: land contracts (出让合同 / 划拨决定书) with their parcels and progress.

``land_contracts`` holds one contract per supply: enterprise, area (亩), signing date, price
(万元), agreed start and completion, the 标准地 indicators committed at signing (JSON, never
rewritten), and the progress as reported (actual start, completion, production and stop dates,
investment to date and planned, developed 亩, floor area and footprint in m²); versioned and
audited like clusters (ids never reused: AUTOINCREMENT on SQLite). ``land_contract_parcels`` its
parcels (code as contracted, and the parcel row while it exists). No geometry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "land_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column(
            "enterprise", sa.String(length=200), nullable=False, comment="企业名称 as the contract writes it"
        ),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_mu", sa.Float(), nullable=False, comment="contracted area, 亩"),
        sa.Column("signed", sa.Date(), nullable=False),
        sa.Column("price_wan", sa.Float(), nullable=True, comment="land price, 万元"),
        sa.Column("agreed_start", sa.Date(), nullable=False),
        sa.Column("agreed_completion", sa.Date(), nullable=True),
        sa.Column(
            "committed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="标准地 indicators copied at signing (never rewritten)",
        ),
        sa.Column("started", sa.Date(), nullable=True),
        sa.Column("completed", sa.Date(), nullable=True),
        sa.Column("producing", sa.Date(), nullable=True),
        sa.Column("stopped", sa.Date(), nullable=True),
        sa.Column("planned_investment_wan", sa.Float(), nullable=True, comment="planned total, 万元"),
        sa.Column("investment_wan", sa.Float(), nullable=True, comment="invested to date, 万元"),
        sa.Column("developed_mu", sa.Float(), nullable=True, comment="developed area, 亩"),
        sa.Column("floor_area_m2", sa.Float(), nullable=True, comment="built floor area, m²"),
        sa.Column("footprint_m2", sa.Float(), nullable=True, comment="building footprint, m²"),
        sa.Column("illustrative", sa.Boolean(), nullable=False, comment="sample data, not a real contract"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("kind IN ('sale', 'allocation')", name=op.f("ck_land_contracts_kind")),
        sa.CheckConstraint("area_mu > 0", name=op.f("ck_land_contracts_area")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_land_contracts_version")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_land_contracts_enterprise_id_enterprises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_land_contracts_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_land_contracts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("land_contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_land_contracts_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_land_contracts_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "land_contract_parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("parcel_code", sa.String(length=64), nullable=False, comment="parcel_id when contracted"),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["land_contracts.id"],
            name=op.f("fk_land_contract_parcels_contract_id_land_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"],
            ["parcels.id"],
            name=op.f("fk_land_contract_parcels_parcel_id_parcels"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_land_contract_parcels")),
    )
    with op.batch_alter_table("land_contract_parcels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_land_contract_parcels_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_land_contract_parcels_parcel_id"), ["parcel_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("land_contract_parcels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_land_contract_parcels_parcel_id"))
        batch_op.drop_index(batch_op.f("ix_land_contract_parcels_contract_id"))

    op.drop_table("land_contract_parcels")
    with op.batch_alter_table("land_contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_land_contracts_zone_id"))
        batch_op.drop_index(batch_op.f("ix_land_contracts_enterprise_id"))

    op.drop_table("land_contracts")
