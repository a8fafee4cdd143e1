"""Initial schema: zones, parks, clusters, parcels, infrastructure, rasters, enterprises and
their yearly figures, projects, check results, score runs and parcel scores, batch jobs, users,
audit log. Geometry columns in EPSG:4546 with spatial indexes (GiST / SpatiaLite R*Tree).
The audited tables (clusters, parcels, projects, users) are AUTOINCREMENT tables on SQLite, so an
id is never handed out twice (the audit log is keyed on it).

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import (
    Geometry,
    alembic_helpers,  # noqa: F401  (registers the geospatial operations)
)
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=True),
        sa.Column(
            "action", sa.String(length=32), nullable=False, comment="create, update, delete, restore, …"
        ),
        sa.Column("entity", sa.String(length=32), nullable=False, comment="cluster, parcel, zone, user, …"),
        sa.Column("entity_id", sa.String(length=64), nullable=False, comment="the entity's id (as text)"),
        sa.Column("entity_key", sa.String(length=100), nullable=True, comment="code / parcel_id / name"),
        sa.Column("zone_id", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True, comment="version after the write"),
        sa.Column(
            "before_attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after_attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("before_wkt", sa.Text(), nullable=True),
        sa.Column("after_wkt", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_zh", sa.Text(), nullable=True, comment="the note in Chinese (null: none)"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint(
            "entity", "entity_id", "version", name=op.f("uq_audit_log_entity_entity_id_version")
        ),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_zone_id"), "audit_log", ["zone_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('viewer', 'planner', 'manager', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.String(length=64), nullable=False, comment="zone id, e.g. jiaokou"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("crs", sa.String(length=64), nullable=False, comment="e.g. EPSG:4546"),
        sa.Column("srid", sa.Integer(), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the zone file as validated JSON",
        ),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
    )
    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.String(length=36), nullable=False, comment="uuid4 hex"),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False, comment="0–1"),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("input_path", sa.Text(), nullable=True),
        sa.Column("output_path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'interrupted')",
            name=op.f("ck_batch_jobs_status"),
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name=op.f("ck_batch_jobs_progress")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_batch_jobs_zone_id_zones"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_jobs")),
    )
    op.create_index(op.f("ix_batch_jobs_status"), "batch_jobs", ["status"], unique=False)
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=32), nullable=True, comment="统一社会信用代码"),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("branch", sa.String(length=100), nullable=True),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_enterprises_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("zone_id", "name", name=op.f("uq_enterprises_zone_id_name")),
    )
    op.create_index(op.f("ix_enterprises_zone_id"), "enterprises", ["zone_id"], unique=False)
    op.create_geospatial_table(
        "infrastructure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("layer", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                srid=4546,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "layer IN ('roads', 'rivers', 'substations', 'water', 'places')",
            name=op.f("ck_infrastructure_layer"),
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_infrastructure_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infrastructure")),
        sa.UniqueConstraint("zone_id", "layer", "code", name=op.f("uq_infrastructure_zone_id_layer_code")),
    )
    op.create_geospatial_index(
        "idx_infrastructure_geom",
        "infrastructure",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_infrastructure_zone_id"), "infrastructure", ["zone_id"], unique=False)
    op.create_geospatial_table(
        "parks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False, comment="park_id, e.g. shuangchi"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("area_mu", sa.Float(), nullable=True),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4546,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_parks_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parks")),
        sa.UniqueConstraint("zone_id", "code", name=op.f("uq_parks_zone_id_code")),
    )
    op.create_geospatial_index(
        "idx_parks_geom", "parks", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_parks_zone_id"), "parks", ["zone_id"], unique=False)
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("enterprise", sa.String(length=200), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True, comment="产业大类 as written"),
        sa.Column("branch", sa.String(length=100), nullable=True, comment="二级产业方向 as written"),
        sa.Column("encouraged_description", sa.Text(), nullable=True),
        sa.Column("investment_wan", sa.Float(), nullable=True, comment="fixed-asset investment, 万元"),
        sa.Column("output_wan", sa.Float(), nullable=True, comment="annual output, 万元/年"),
        sa.Column("tax_wan", sa.Float(), nullable=True, comment="annual tax, 万元/年"),
        sa.Column("land_mu", sa.Float(), nullable=True, comment="land demand, 亩"),
        sa.Column("water_m3_per_day", sa.Float(), nullable=True),
        sa.Column("power_kw", sa.Float(), nullable=True),
        sa.Column("online_monitoring", sa.Boolean(), nullable=True),
        sa.Column("waste_treatment_pct", sa.Float(), nullable=True, comment="三废 treated, %"),
        sa.Column("energy_tce_per_wan", sa.Float(), nullable=True),
        sa.Column("water_m3_per_wan", sa.Float(), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the project as submitted",
        ),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_projects_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_projects_zone_id"), "projects", ["zone_id"], unique=False)
    op.create_table(
        "score_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=100), nullable=True),
        sa.Column("n_parcels", sa.Integer(), nullable=True),
        sa.Column("n_scored", sa.Integer(), nullable=True),
        sa.Column("n_excluded", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f("ck_score_runs_status")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_score_runs_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_runs")),
    )
    op.create_index(op.f("ix_score_runs_zone_id"), "score_runs", ["zone_id"], unique=False)
    op.create_geospatial_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False, comment="cluster_id, e.g. sc-almg"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("directions", sa.Text(), nullable=True),
        sa.Column(
            "admits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="[{industry, branches}]; null: not set yet",
        ),
        sa.Column("admits_encouraged_under_review", sa.Boolean(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("area_mu", sa.Float(), nullable=True),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4546,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "kind IN ('industrial', 'public_service', 'service', 'reserve')", name=op.f("ck_clusters_kind")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_clusters_version")),
        sa.ForeignKeyConstraint(
            ["park_id"], ["parks.id"], name=op.f("fk_clusters_park_id_parks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_clusters_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
        sa.UniqueConstraint("zone_id", "code", name=op.f("uq_clusters_zone_id_code")),
        sqlite_autoincrement=True,
    )
    op.create_geospatial_index(
        "idx_clusters_geom", "clusters", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_clusters_park_id"), "clusters", ["park_id"], unique=False)
    op.create_index(op.f("ix_clusters_zone_id"), "clusters", ["zone_id"], unique=False)
    op.create_table(
        "enterprise_yearly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("land_mu", sa.Float(), nullable=True, comment="land used, 亩"),
        sa.Column("investment_wan", sa.Float(), nullable=True, comment="fixed-asset investment, 万元"),
        sa.Column("output_wan", sa.Float(), nullable=True, comment="industrial output, 万元"),
        sa.Column("tax_wan", sa.Float(), nullable=True, comment="tax paid, 万元"),
        sa.Column("energy_tce", sa.Float(), nullable=True, comment="energy use, tce"),
        sa.Column("water_m3", sa.Float(), nullable=True, comment="water use, m³"),
        sa.Column(
            "emissions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="pollutant → t",
        ),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("rd_wan", sa.Float(), nullable=True, comment="R&D spending, 万元"),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_yearly_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_yearly")),
        sa.UniqueConstraint("enterprise_id", "year", name=op.f("uq_enterprise_yearly_enterprise_id_year")),
    )
    op.create_index(
        op.f("ix_enterprise_yearly_enterprise_id"), "enterprise_yearly", ["enterprise_id"], unique=False
    )
    op.create_table(
        "rasters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column(
            "name", sa.String(length=200), nullable=False, comment="file name, e.g. jiaokou_dem_shuitou.tif"
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False, comment="absolute path of the GeoTIFF"),
        sa.Column("crs", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bands", sa.Integer(), nullable=False),
        sa.Column("dtype", sa.String(length=16), nullable=False),
        sa.Column("nodata", sa.Float(), nullable=True),
        sa.Column("cell_size_x", sa.Float(), nullable=False, comment="metres"),
        sa.Column("cell_size_y", sa.Float(), nullable=False, comment="metres"),
        sa.Column("min_x", sa.Float(), nullable=False),
        sa.Column("min_y", sa.Float(), nullable=False),
        sa.Column("max_x", sa.Float(), nullable=False),
        sa.Column("max_y", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["park_id"], ["parks.id"], name=op.f("fk_rasters_park_id_parks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_rasters_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rasters")),
        sa.UniqueConstraint("zone_id", "name", name=op.f("uq_rasters_zone_id_name")),
    )
    op.create_index(op.f("ix_rasters_zone_id"), "rasters", ["zone_id"], unique=False)
    op.create_geospatial_table(
        "parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("parcel_id", sa.String(length=64), nullable=False, comment="stable id, e.g. SC-0001"),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("area_mu", sa.Float(), nullable=False),
        sa.Column("enterprise", sa.String(length=200), nullable=True),
        sa.Column("land_use", sa.String(length=100), nullable=True),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="other layer fields",
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4546,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "status IN ('existing', 'vacant', 'reserved', 'public')", name=op.f("ck_parcels_status")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_parcels_version")),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_parcels_cluster_id_clusters"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_parcels_enterprise_id_enterprises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["parks.id"], name=op.f("fk_parcels_park_id_parks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_parcels_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcels")),
        sa.UniqueConstraint("zone_id", "parcel_id", name=op.f("uq_parcels_zone_id_parcel_id")),
        sqlite_autoincrement=True,
    )
    op.create_geospatial_index(
        "idx_parcels_geom", "parcels", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_parcels_cluster_id"), "parcels", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_parcels_enterprise_id"), "parcels", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_parcels_park_id"), "parcels", ["park_id"], unique=False)
    op.create_index(op.f("ix_parcels_zone_id"), "parcels", ["zone_id"], unique=False)
    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=True),
        sa.Column("parcel_code", sa.String(length=64), nullable=True, comment="parcel_id when checked"),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="[{rule, verdict, message, …}]",
        ),
        sa.Column("config_sha256", sa.String(length=64), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("verdict IN ('pass', 'fail', 'review')", name=op.f("ck_check_results_verdict")),
        sa.ForeignKeyConstraint(
            ["parcel_id"],
            ["parcels.id"],
            name=op.f("fk_check_results_parcel_id_parcels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_check_results_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    op.create_index(op.f("ix_check_results_parcel_id"), "check_results", ["parcel_id"], unique=False)
    op.create_index(op.f("ix_check_results_project_id"), "check_results", ["project_id"], unique=False)
    op.create_table(
        "parcel_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("score_class", sa.String(length=32), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "breakdown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="criterion → {value, utility, weight}",
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcels.id"], name=op.f("fk_parcel_scores_parcel_id_parcels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["score_runs.id"], name=op.f("fk_parcel_scores_run_id_score_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_scores")),
        sa.UniqueConstraint("run_id", "parcel_id", name=op.f("uq_parcel_scores_run_id_parcel_id")),
    )
    op.create_index(op.f("ix_parcel_scores_parcel_id"), "parcel_scores", ["parcel_id"], unique=False)
    op.create_index(op.f("ix_parcel_scores_run_id"), "parcel_scores", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_parcel_scores_run_id"), table_name="parcel_scores")
    op.drop_index(op.f("ix_parcel_scores_parcel_id"), table_name="parcel_scores")
    op.drop_table("parcel_scores")
    op.drop_index(op.f("ix_check_results_project_id"), table_name="check_results")
    op.drop_index(op.f("ix_check_results_parcel_id"), table_name="check_results")
    op.drop_table("check_results")
    op.drop_index(op.f("ix_parcels_zone_id"), table_name="parcels")
    op.drop_index(op.f("ix_parcels_park_id"), table_name="parcels")
    op.drop_index(op.f("ix_parcels_enterprise_id"), table_name="parcels")
    op.drop_index(op.f("ix_parcels_cluster_id"), table_name="parcels")
    op.drop_geospatial_index(
        "idx_parcels_geom", table_name="parcels", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("parcels")
    op.drop_index(op.f("ix_rasters_zone_id"), table_name="rasters")
    op.drop_table("rasters")
    op.drop_index(op.f("ix_enterprise_yearly_enterprise_id"), table_name="enterprise_yearly")
    op.drop_table("enterprise_yearly")
    op.drop_index(op.f("ix_clusters_zone_id"), table_name="clusters")
    op.drop_index(op.f("ix_clusters_park_id"), table_name="clusters")
    op.drop_geospatial_index(
        "idx_clusters_geom", table_name="clusters", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("clusters")
    op.drop_index(op.f("ix_score_runs_zone_id"), table_name="score_runs")
    op.drop_table("score_runs")
    op.drop_index(op.f("ix_projects_zone_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_index(op.f("ix_parks_zone_id"), table_name="parks")
    op.drop_geospatial_index(
        "idx_parks_geom", table_name="parks", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("parks")
    op.drop_index(op.f("ix_infrastructure_zone_id"), table_name="infrastructure")
    op.drop_geospatial_index(
        "idx_infrastructure_geom", table_name="infrastructure", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("infrastructure")
    op.drop_index(op.f("ix_enterprises_zone_id"), table_name="enterprises")
    op.drop_table("enterprises")
    op.drop_index(op.f("ix_batch_jobs_status"), table_name="batch_jobs")
    op.drop_table("batch_jobs")
    op.drop_table("zones")
    op.drop_table("users")
    op.drop_index(op.f("ix_audit_log_zone_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
