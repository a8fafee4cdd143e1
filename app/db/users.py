"""Users, roles and passwords (argon2id via argon2-cffi).

Roles are cumulative, each including everything the roles before it may do:

=========  ===========================================================================
viewer     read the map, parcels, scores, projects and results; once signed in, run project
           checks and recommendations (not recorded)
analyst    + run batch jobs
planner    + edit clusters and parcels (create, change, delete, restore)
manager    + save projects to the register (项目库) with their checks, admit and revoke them;
           run scoring; import the yearly 亩均效益 figures
admin      + manage users, change zone rules, import zones
=========  ===========================================================================

There is no built-in account: the first admin is made with ``parksite user add NAME --role
admin``. Only in development mode (``Settings.dev_mode``) does :func:`ensure_dev_admin` create
``admin`` with the known password ``DEV_ADMIN_PASSWORD`` when the database has no users.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.audit import record
from app.db.models import ROLES, UserRow, utcnow
from app.errors import PermissionDeniedError
from app.security import hash_password, needs_rehash, verify_password
from app.settings import Settings
from gis.errors import ConflictError, NotFoundError, SchemaError
from gis.messages import msg

#: Actions and the lowest role allowed to do them (roles are cumulative, see module doc).
#: The message ids naming the roles.
ROLE_IDS: Final[dict[str, str]] = {
    "viewer": "role.viewer",
    "analyst": "role.analyst",
    "planner": "role.planner",
    "manager": "role.manager",
    "admin": "role.admin",
}
ACTIONS: Final[dict[str, str]] = {
    "read": "viewer",
    "edit_clusters": "planner",
    "edit_parcels": "planner",
    "run_checks": "viewer",
    "record_checks": "manager",
    "save_projects": "manager",
    "admit_projects": "manager",
    "import_land": "manager",
    "run_scoring": "manager",
    "import_figures": "manager",
    "run_jobs": "analyst",
    "manage_users": "admin",
    "edit_zone_rules": "admin",
    "import_zone": "admin",
}

MIN_PASSWORD_LENGTH: Final = 8
DEV_ADMIN_NAME: Final = "admin"
DEV_ADMIN_PASSWORD: Final = "parksite-dev"


def can(role: str, action: str) -> bool:
    """Return whether ``role`` may do ``action`` (see ``ACTIONS``); ValueError for unknown names."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    return ROLES.index(role) >= ROLES.index(ACTIONS[action])


def require(user: UserRow, action: str) -> None:
    """Raise ``PermissionDeniedError`` unless the (enabled) ``user`` may do ``action``."""
    if user.disabled:
        raise PermissionDeniedError(
            "the account is disabled", where=f"user {user.name!r}", msg=msg("error.user.disabled")
        )
    if not can(user.role, action):
        raise PermissionDeniedError(
            f"role {user.role!r} may not {action.replace('_', ' ')} (needs {ACTIONS[action]} or above)",
            where=f"user {user.name!r}",
            hint="ask an administrator for a role that allows it",
            msg=msg(
                "error.user.not_allowed", role=msg(ROLE_IDS[user.role]), needs=msg(ROLE_IDS[ACTIONS[action]])
            ),
        )


def _check_password(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SchemaError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            where=f"user {name!r}",
            hint="choose a longer password",
            msg=msg("error.user.password_short", n=MIN_PASSWORD_LENGTH),
        )


def _check_role(role: str, name: str) -> None:
    if role not in ROLES:
        raise SchemaError(
            f"unknown role {role!r}",
            where=f"user {name!r}",
            hint=f"use one of {', '.join(ROLES)}",
            msg=msg("error.user.role", role=role, roles=list(ROLES)),
        )


def find_user(session: Session, name: str) -> UserRow | None:
    """Return the user called ``name``, or None if there is none."""
    return session.scalar(select(UserRow).where(UserRow.name == name))


def get_user(session: Session, name: str) -> UserRow:
    """Return the user called ``name``; NotFoundError if there is none."""
    user = find_user(session, name)
    if user is None:
        raise NotFoundError(
            f"no user {name!r}", hint="see `parksite user list`", msg=msg("error.user.not_found", name=name)
        )
    return user


def add_user(session: Session, name: str, role: str, password: str, *, by: str | None = None) -> UserRow:
    """Create and return a user (flushed, not committed); ConflictError if the name is taken.

    Raises ``SchemaError`` for an unknown role, an empty name or a password shorter than
    ``MIN_PASSWORD_LENGTH``.
    """
    name = name.strip()
    if not name:
        raise SchemaError(
            "the user name is empty", where="user", hint="give a name", msg=msg("error.user.no_name")
        )
    _check_role(role, name)
    _check_password(password, name)
    if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
        raise ConflictError(
            f"user {name!r} already exists",
            where=f"user {name!r}",
            hint="choose another name, or disable/enable the existing user",
            msg=msg("error.user.exists", name=name),
        )
    user = UserRow(name=name, role=role, password_hash=hash_password(password), disabled=False)
    session.add(user)
    session.flush()
    record(
        session,
        user=by,
        action="create",
        entity="user",
        entity_id=user.id,
        entity_key=name,
        after_attrs={"name": name, "role": role, "disabled": False},
    )
    return user


def list_users(session: Session) -> list[UserRow]:
    """Return every user, by name."""
    return list(session.scalars(select(UserRow).order_by(UserRow.name)))


def _set_disabled(session: Session, name: str, disabled: bool, by: str | None) -> UserRow:
    user = get_user(session, name)
    before = {"disabled": user.disabled}
    user.disabled = disabled
    session.flush()
    record(
        session,
        user=by,
        action="disable" if disabled else "enable",
        entity="user",
        entity_id=user.id,
        entity_key=name,
        before_attrs=before,
        after_attrs={"disabled": disabled},
    )
    return user


def disable_user(session: Session, name: str, *, by: str | None = None) -> UserRow:
    """Disable ``name`` (it can no longer log in; its history stays); NotFoundError if unknown."""
    return _set_disabled(session, name, True, by)


def enable_user(session: Session, name: str, *, by: str | None = None) -> UserRow:
    """Enable ``name`` again; NotFoundError if unknown."""
    return _set_disabled(session, name, False, by)


def set_role(session: Session, name: str, role: str, *, by: str | None = None) -> UserRow:
    """Change the role of ``name``; SchemaError for an unknown role."""
    user = get_user(session, name)
    _check_role(role, name)
    before = {"role": user.role}
    user.role = role
    session.flush()
    record(
        session,
        user=by,
        action="set_role",
        entity="user",
        entity_id=user.id,
        entity_key=name,
        before_attrs=before,
        after_attrs={"role": role},
    )
    return user


def set_password(session: Session, name: str, password: str, *, by: str | None = None) -> UserRow:
    """Replace the password of ``name`` (the audit log records that it changed, not the hash)."""
    user = get_user(session, name)
    _check_password(password, name)
    user.password_hash = hash_password(password)
    session.flush()
    record(session, user=by, action="set_password", entity="user", entity_id=user.id, entity_key=name)
    return user


def authenticate(session: Session, name: str, password: str) -> UserRow | None:
    """Return the enabled user ``name`` if ``password`` is right, else None.

    Unknown user, wrong password and disabled account all return None and take about the same
    time (a dummy hash is verified for unknown names). A hash made with older argon2 parameters
    is replaced on success; ``last_login_at`` is set. The caller commits.
    """
    user = find_user(session, name)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def ensure_dev_admin(session: Session, settings: Settings) -> UserRow | None:
    """In development mode only, create ``admin`` / ``DEV_ADMIN_PASSWORD`` if there are no users.

    Returns the new user, or None (not development mode, or users exist). Never called outside
    ``Settings.dev_mode``: production has no default password.
    """
    if not settings.dev_mode:
        return None
    if session.scalar(select(func.count()).select_from(UserRow)):
        return None
    return add_user(session, DEV_ADMIN_NAME, "admin", DEV_ADMIN_PASSWORD, by="dev-mode")
