"""Score runs may be ``interrupted``: a run a killed process left ``running`` is marked so at the
next start (``app.db.recovery``), like batch jobs.

Only the check constraint ``ck_score_runs_status`` changes (one more allowed value). PostgreSQL
drops and re-adds it. SQLite cannot alter a constraint, and rebuilding ``score_runs`` would
cascade-delete every ``parcel_scores`` row (foreign keys are on and cannot be switched off inside
the migration's transaction), so the table's stored definition is edited in place — SQLite's
documented procedure for loosening a CHECK constraint (``PRAGMA writable_schema``, then a new
``schema_version``); no row changes and every existing row satisfies the looser constraint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_score_runs_status"
BEFORE = "status IN ('running', 'done', 'failed')"
AFTER = "status IN ('running', 'done', 'failed', 'interrupted')"


def _sqlite_swap_check(bind: Connection, old: str, new: str) -> None:
    """Replace the text ``old`` of score_runs' CHECK constraint by ``new`` in SQLite's schema."""
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'score_runs'"
    ).scalar_one()
    if sql.count(f"CONSTRAINT {NAME} CHECK ({old})") != 1:
        raise RuntimeError(f"score_runs is not as expected (no CHECK ({old})): {sql}")
    edited = sql.replace(f"CONSTRAINT {NAME} CHECK ({old})", f"CONSTRAINT {NAME} CHECK ({new})")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'score_runs'", (edited,)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_swap_check(bind, BEFORE, AFTER)
        return
    op.drop_constraint(op.f(NAME), "score_runs", type_="check")
    op.create_check_constraint(op.f(NAME), "score_runs", AFTER)


def downgrade() -> None:
    bind = op.get_bind()
    op.execute(
        "UPDATE score_runs SET status = 'failed', "
        "error = COALESCE(error, 'interrupted: the process stopped before the run finished') "
        "WHERE status = 'interrupted'"
    )
    if bind.dialect.name == "sqlite":
        _sqlite_swap_check(bind, AFTER, BEFORE)
        return
    op.drop_constraint(op.f(NAME), "score_runs", type_="check")
    op.create_check_constraint(op.f(NAME), "score_runs", BEFORE)
