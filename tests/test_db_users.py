"""Users, roles and passwords; the ``user`` commands."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from app.commands.db import register
from app.db.models import AuditEntryRow, UserRow
from app.db.users import (
    ACTIONS,
    DEV_ADMIN_NAME,
    DEV_ADMIN_PASSWORD,
    PermissionDeniedError,
    add_user,
    authenticate,
    can,
    disable_user,
    enable_user,
    ensure_dev_admin,
    list_users,
    require,
    set_password,
    set_role,
)
from app.settings import Settings
from gis.errors import ConflictError, NotFoundError, SchemaError

# Who may do what: roles are cumulative (viewer < analyst < planner < manager < admin).
PERMISSIONS = [
    ("viewer", "read", True),
    ("viewer", "edit_clusters", False),
    ("viewer", "run_checks", True),  # any signed-in user checks and recommends (not recorded)
    ("viewer", "run_jobs", False),
    ("viewer", "save_projects", False),
    ("analyst", "run_jobs", True),
    ("analyst", "edit_clusters", False),
    ("analyst", "save_projects", False),
    ("analyst", "admit_projects", False),
    ("planner", "edit_clusters", True),
    ("planner", "save_projects", False),
    ("planner", "admit_projects", False),
    ("planner", "edit_parcels", True),
    ("planner", "record_checks", False),
    ("manager", "run_checks", True),
    ("manager", "record_checks", True),
    ("manager", "save_projects", True),
    ("manager", "admit_projects", True),
    ("manager", "edit_parcels", True),
    ("manager", "manage_users", False),
    ("manager", "edit_zone_rules", False),
    ("admin", "manage_users", True),
    ("admin", "edit_zone_rules", True),
    ("admin", "import_zone", True),
]


@pytest.mark.parametrize("role, action, allowed", PERMISSIONS)
def test_can(role, action, allowed):
    assert can(role, action) is allowed


def test_can_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown role 'root'"):
        can("root", "read")
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        can("admin", "fly")
    assert set(ACTIONS.values()) <= {"viewer", "analyst", "planner", "manager", "admin"}


def test_passwords_are_argon2_hashed_and_checked(db_factory):
    with db_factory.begin() as s:
        u = add_user(s, "wang", "planner", "correct horse", by="admin")
        assert u.password_hash.startswith("$argon2id$") and "correct horse" not in u.password_hash
    with db_factory.begin() as s:
        assert authenticate(s, "wang", "correct horse").name == "wang"
        assert authenticate(s, "wang", "wrong password") is None
        assert authenticate(s, "nobody", "correct horse") is None
        assert s.scalar(select(UserRow.last_login_at).where(UserRow.name == "wang")) is not None
    with db_factory.begin() as s:
        set_password(s, "wang", "battery staple", by="admin")
        assert authenticate(s, "wang", "correct horse") is None
        assert authenticate(s, "wang", "battery staple") is not None


def test_disable_and_enable(db_factory):
    with db_factory.begin() as s:
        add_user(s, "li", "manager", "password1")
        disable_user(s, "li", by="admin")
    with db_factory.begin() as s:
        assert authenticate(s, "li", "password1") is None
        li = s.scalar(select(UserRow).where(UserRow.name == "li"))
        with pytest.raises(PermissionDeniedError, match="the account is disabled"):
            require(li, "read")
        enable_user(s, "li", by="admin")
        assert authenticate(s, "li", "password1").name == "li"
        set_role(s, "li", "viewer", by="admin")
        with pytest.raises(
            PermissionDeniedError, match="role 'viewer' may not run jobs \\(needs analyst or above\\)"
        ):
            require(li, "run_jobs")
    with db_factory() as s:
        actions = [
            e.action
            for e in s.scalars(
                select(AuditEntryRow).where(AuditEntryRow.entity == "user").order_by(AuditEntryRow.id)
            )
        ]
        assert actions == ["create", "disable", "enable", "set_role"]


BAD_USERS = [
    ("", "viewer", "password1", SchemaError, "the user name is empty"),
    ("zhao", "root", "password1", SchemaError, "unknown role 'root'"),
    ("zhao", "viewer", "short", SchemaError, "at least 8 characters"),
]


@pytest.mark.parametrize("name, role, password, error, message", BAD_USERS)
def test_bad_users_are_refused(db_factory, name, role, password, error, message):
    with pytest.raises(error, match=message):
        with db_factory.begin() as s:
            add_user(s, name, role, password)
    with db_factory() as s:
        assert list_users(s) == []


def test_duplicate_and_unknown_names(db_factory):
    with db_factory.begin() as s:
        add_user(s, "qian", "viewer", "password1")
    with pytest.raises(ConflictError, match="user 'qian' already exists"):
        with db_factory.begin() as s:
            add_user(s, "qian", "admin", "password2")
    with pytest.raises(NotFoundError, match="no user 'sun'"):
        with db_factory.begin() as s:
            disable_user(s, "sun")


def test_default_admin_only_in_development_mode(db_factory):
    with db_factory.begin() as s:
        assert ensure_dev_admin(s, Settings(dev_mode=False)) is None
        assert list_users(s) == []
        admin = ensure_dev_admin(s, Settings(dev_mode=True))
        assert (admin.name, admin.role) == (DEV_ADMIN_NAME, "admin")
        assert ensure_dev_admin(s, Settings(dev_mode=True)) is None  # users exist now
    with db_factory.begin() as s:
        assert authenticate(s, DEV_ADMIN_NAME, DEV_ADMIN_PASSWORD) is not None


def test_user_commands(db_url):
    cli = typer.Typer()
    register(cli)
    run = CliRunner().invoke
    r = run(
        cli, ["user", "add", "zhou", "--role", "manager", "--password", "s3cret-pw", "--database-url", db_url]
    )
    assert r.exit_code == 0 and "user zhou (manager) added" in r.output
    r = run(
        cli,
        ["user", "add", "wu", "--role", "viewer", "--database-url", db_url],
        input="another-pw\nanother-pw\n",
    )
    assert r.exit_code == 0, r.output
    r = run(cli, ["user", "disable", "wu", "--database-url", db_url])
    assert r.exit_code == 0 and "user wu disabled" in r.output
    r = run(cli, ["user", "list", "--database-url", db_url])
    lines = [line for line in r.output.splitlines() if "zhou" in line or "wu" in line]
    assert len(lines) == 2
    assert "manager" in lines[1] and "active" in lines[1]  # sorted by name: wu, zhou
    assert "viewer" in lines[0] and "disabled" in lines[0]
    r = run(
        cli, ["user", "add", "zheng", "--role", "boss", "--password", "s3cret-pw", "--database-url", db_url]
    )
    assert isinstance(r.exception, SchemaError) and "unknown role 'boss'" in str(r.exception)


def test_db_commands(empty_db_url):
    cli = typer.Typer()
    register(cli)

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--database-url", empty_db_url])
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())  # rich wraps the long URL

    head = "0009"  # the newest migration (app/migrations/versions)
    out = run("db", "current")
    assert f"revision none, newest {head}" in out and "run `parksite db upgrade`" in out
    assert f"migrated from empty to revision {head}" in run("db", "upgrade")
    assert f"already at revision {head}" in run("db", "upgrade")
    out = run("db", "current")
    assert f"revision {head}, newest {head}" in out and "up to date" in out
