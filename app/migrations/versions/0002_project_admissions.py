"""Project admissions (准入登记): a checked project admitted on a site of parcels, until revoked.

``project_admissions`` holds one admission (park, the check it rests on, its verdict, the reason
given for a review verdict, who admitted and revoked it, when); ``admission_parcels`` the
parcels of its site (code as admitted, and the parcel row while it exists). No geometry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column(
            "park", sa.String(length=64), nullable=False, comment="park_id of the site, e.g. shuangchi"
        ),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column(
            "verdict", sa.String(length=16), nullable=False, comment="the check's verdict when admitted"
        ),
        sa.Column("reason", sa.Text(), nullable=True, comment="why a review verdict was admitted"),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admitted_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "verdict IN ('pass', 'fail', 'review')", name=op.f("ck_project_admissions_verdict")
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["check_results.id"],
            name=op.f("fk_project_admissions_check_id_check_results"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_admissions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_project_admissions_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_admissions")),
    )
    op.create_index(
        op.f("ix_project_admissions_project_id"), "project_admissions", ["project_id"], unique=False
    )
    op.create_index(op.f("ix_project_admissions_zone_id"), "project_admissions", ["zone_id"], unique=False)
    op.create_table(
        "admission_parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("parcel_code", sa.String(length=64), nullable=False, comment="parcel_id when admitted"),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["project_admissions.id"],
            name=op.f("fk_admission_parcels_admission_id_project_admissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"],
            ["parcels.id"],
            name=op.f("fk_admission_parcels_parcel_id_parcels"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_parcels")),
    )
    op.create_index(
        op.f("ix_admission_parcels_admission_id"), "admission_parcels", ["admission_id"], unique=False
    )
    op.create_index(op.f("ix_admission_parcels_parcel_id"), "admission_parcels", ["parcel_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_admission_parcels_parcel_id"), table_name="admission_parcels")
    op.drop_index(op.f("ix_admission_parcels_admission_id"), table_name="admission_parcels")
    op.drop_table("admission_parcels")
    op.drop_index(op.f("ix_project_admissions_zone_id"), table_name="project_admissions")
    op.drop_index(op.f("ix_project_admissions_project_id"), table_name="project_admissions")
    op.drop_table("project_admissions")
