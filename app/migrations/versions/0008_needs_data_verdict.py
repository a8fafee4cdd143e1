"""Four statuses: a check's verdict may be ``needs_data`` (the project did not declare a figure a
rule needs) beside pass, review and fail.

Only the check constraints on ``check_results.verdict`` and ``project_admissions.verdict`` change
(one more allowed value). PostgreSQL drops and re-adds them; SQLite has its stored table
definitions edited in place, as in 0004 (a looser CHECK needs no table rebuild).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("check_results", "project_admissions")
BEFORE = "verdict IN ('pass', 'fail', 'review')"
AFTER = "verdict IN ('pass', 'fail', 'review', 'needs_data')"


def _sqlite_swap_check(bind: Connection, table: str, old: str, new: str) -> None:
    """Replace the text ``old`` of ``table``'s verdict CHECK constraint by ``new`` in SQLite's schema."""
    name = f"ck_{table}_verdict"
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if sql.count(f"CONSTRAINT {name} CHECK ({old})") != 1:
        raise RuntimeError(f"{table} is not as expected (no CHECK ({old})): {sql}")
    edited = sql.replace(f"CONSTRAINT {name} CHECK ({old})", f"CONSTRAINT {name} CHECK ({new})")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (edited, table)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _swap(old: str, new: str) -> None:
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name == "sqlite":
            _sqlite_swap_check(bind, table, old, new)
            continue
        op.drop_constraint(op.f(f"ck_{table}_verdict"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_verdict"), table, new)


def upgrade() -> None:
    _swap(BEFORE, AFTER)


def downgrade() -> None:
    for table in TABLES:  # a needs_data check was not admitted; older code reads it as review
        op.execute(f"UPDATE {table} SET verdict = 'review' WHERE verdict = 'needs_data'")
    _swap(AFTER, BEFORE)
