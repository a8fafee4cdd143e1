"""Roles that fit the work and the project register (项目库).

* ``users.role`` may be ``analyst`` (runs batch jobs): only the check constraint ``ck_users_role``
  changes (one more allowed value). PostgreSQL drops and re-adds it; SQLite has its stored table
  definition edited in place, as in 0003 (rebuilding ``users`` is not needed for a looser CHECK).
* ``projects.status`` takes the register's statuses (negotiating, reviewed, admitted, revoked):
  projects stored before were all stored with a check (``submitted``) and become ``reviewed``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_users_role"
BEFORE = "role IN ('viewer', 'planner', 'manager', 'admin')"
AFTER = "role IN ('viewer', 'analyst', 'planner', 'manager', 'admin')"


def _sqlite_swap_check(bind: Connection, old: str, new: str) -> None:
    """Replace the text ``old`` of users' CHECK constraint by ``new`` in SQLite's schema."""
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
    ).scalar_one()
    if sql.count(f"CONSTRAINT {NAME} CHECK ({old})") != 1:
        raise RuntimeError(f"users is not as expected (no CHECK ({old})): {sql}")
    edited = sql.replace(f"CONSTRAINT {NAME} CHECK ({old})", f"CONSTRAINT {NAME} CHECK ({new})")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (edited,)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _swap(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_swap_check(bind, old, new)
        return
    op.drop_constraint(op.f(NAME), "users", type_="check")
    op.create_check_constraint(op.f(NAME), "users", new)


def upgrade() -> None:
    _swap(BEFORE, AFTER)
    op.execute("UPDATE projects SET status = 'reviewed' WHERE status = 'submitted'")


def downgrade() -> None:
    op.execute("UPDATE users SET role = 'viewer' WHERE role = 'analyst'")
    _swap(AFTER, BEFORE)
    op.execute("UPDATE projects SET status = 'submitted' WHERE status IN ('negotiating', 'reviewed')")
