"""FastAPI dependencies: the app's state, database sessions, the current user and role guards.

Roles (cumulative, ``app.db.users.ACTIONS``): viewer reads and, once signed in, runs checks and
recommendations (not recorded); analyst runs batch jobs; planner edits clusters and parcels;
manager saves projects to the register, admits and revokes them, and runs score runs; admin
manages users and zone rules. Map reads are open to anonymous users unless login is required
(``PARKSITE_REQUIRE_LOGIN=1``); confidential reads (:func:`confidential`: recorded projects with
their figures and checks, the exports) need a signed-in user of any role unless
``PARKSITE_PUBLIC_READS`` opens them; every write needs a bearer token: none → 401 (with
``WWW-Authenticate: Bearer``), a role below the action's → 403.

Write requests on SpatiaLite open their transaction with ``BEGIN IMMEDIATE``: concurrent writers
queue for the database's single write lock (``busy_timeout``) instead of failing when a read
transaction cannot be upgraded; the version check in the UPDATE then decides who wins.

A request holds at most one pooled connection at a time (else as many requests as the pool has
connections, each holding one and waiting for a second, wait for each other until the pool's
timeout): the user is looked up in a session of its own that is closed before the request's
session is opened (:func:`write_session` depends on :func:`optional_user`, so it comes first),
and a route that reads and then writes writes in its own session (:func:`write_transaction`,
which ends the read transaction first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.api import tx
from app.db.models import UserRow
from app.db.users import find_user, require
from app.errors import NotAuthenticatedError
from app.security import decode_token
from app.settings import Settings
from gis.messages import msg

TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def login_required(settings: Settings) -> bool:
    """Return whether reads need a token: ``Settings.require_login`` (``PARKSITE_REQUIRE_LOGIN``)."""
    return settings.require_login


@dataclass
class ApiState:
    """What the routes share: settings, engine, session factory, signing key, job runner, tiles,
    the data version kept for a second (:class:`app.db.data_version.DataVersionCache`), the
    process's warm-up (:class:`app.api.warmup.WarmUp`)."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    secret: str
    require_login: bool
    jobs: Any = None
    tiles: Any = None
    versions: Any = None
    warmup: Any = None


def api_state(request: Request) -> ApiState:
    """Return the app's :class:`ApiState` (set by ``create_app``)."""
    return request.app.state.api


StateDep = Annotated[ApiState, Depends(api_state)]


def db_session(state: StateDep) -> Iterator[Session]:
    """Yield a session for one request; whatever is not committed is rolled back."""
    with state.factory() as session:
        try:
            yield session
        finally:
            session.rollback()


SessionDep = Annotated[Session, Depends(db_session)]


def user_for_token(state: ApiState, token: str | None) -> UserRow | None:
    """Return the token's user, None without a token; 401 for a bad token or a disabled account.

    The user is read in a session of its own, closed before this returns.
    """
    if token is None:
        return None
    name = decode_token(state.secret, token)
    with state.factory() as session:
        user = find_user(session, name)
    if user is None or user.disabled:
        raise NotAuthenticatedError(
            f"the account {name!r} no longer exists or is disabled",
            where="Authorization",
            hint="log in with an active account",
            msg=msg("error.login.account_gone", name=name),
        )
    return user


#: Where :class:`app.api.gate.RequestGate` leaves the user it resolved before the body was read
#: (``request.state``): ``(token, user)``.
GATE_USER = "parksite_gate_user"


def optional_user(
    request: Request, state: StateDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> UserRow | None:
    """Return the token's user, None without a token; 401 for a bad token or a disabled account.

    The user the request gate already resolved for this token is taken as it is.
    """
    seen = getattr(request.state, GATE_USER, None)
    if seen is not None and token is not None and seen[0] == token:
        return seen[1]
    return user_for_token(state, token)


def write_session(
    state: StateDep, _user: Annotated[UserRow | None, Depends(optional_user)]
) -> Iterator[Session]:
    """Yield a session for one write request (``BEGIN IMMEDIATE`` on SpatiaLite); the route commits.

    It depends on :func:`optional_user` only so that the user is looked up (and that session
    closed) before this one takes its connection and the write lock.
    """
    with state.factory() as session:
        try:
            tx.begin_write(session)
            yield session
        finally:
            session.rollback()


WriteSessionDep = Annotated[Session, Depends(write_session)]


def viewer(state: StateDep, user: Annotated[UserRow | None, Depends(optional_user)]) -> UserRow | None:
    """Return the user (None for anonymous reads); 401 when login is required and there is none."""
    if user is None and state.require_login:
        raise NotAuthenticatedError(
            "this server requires login, also for reading",
            where="Authorization",
            hint="log in (POST /api/v1/auth/token)",
            msg=msg("error.login.required"),
        )
    return user


Guard = Callable[[ApiState, UserRow | None], object]
#: The attribute of a dependency that says who may call a route (:func:`guard_of`).
GUARD_ATTR = "parksite_guard"


def guard_of(dependency: Callable[..., Any]) -> Guard | None:
    """Return the check a dependency makes of the user — ``check(state, user)``, raising 401/403 —
    or None when it makes none. The request gate runs these checks before the body is read."""
    return getattr(dependency, GUARD_ATTR, None)


setattr(viewer, GUARD_ATTR, viewer)
Viewer = Annotated[UserRow | None, Depends(viewer)]


def require_user(user: UserRow | None) -> UserRow:
    """Return ``user``; NotAuthenticatedError (401) for anonymous."""
    if user is None:
        raise NotAuthenticatedError(
            "you are not logged in",
            where="Authorization",
            hint="log in (POST /api/v1/auth/token) and send the bearer token",
            msg=msg("error.login.not_logged_in"),
        )
    return user


def needs(action: str) -> Callable[..., UserRow]:
    """Return a dependency giving the logged-in user allowed ``action`` (401 / 403 otherwise)."""

    def dependency(user: Annotated[UserRow | None, Depends(optional_user)]) -> UserRow:
        u = require_user(user)
        require(u, action)
        return u

    dependency.__name__ = f"needs_{action}"
    setattr(dependency, GUARD_ATTR, lambda _state, user: dependency(user))
    return dependency


Planner = Annotated[UserRow, Depends(needs("edit_clusters"))]
ParcelEditor = Annotated[UserRow, Depends(needs("edit_parcels"))]
Checker = Annotated[UserRow, Depends(needs("run_checks"))]
JobSubmitter = Annotated[UserRow, Depends(needs("run_jobs"))]
ScoreRunner = Annotated[UserRow, Depends(needs("run_scoring"))]


#: What each confidential read holds, for its 401 (English for logs, and its message id).
_CONFIDENTIAL_WHAT = {
    "projects": ("recorded projects carry investors' figures and check results", "confidential.projects"),
    "exports": ("the exports carry enterprises' figures and project verdicts", "confidential.exports"),
}


def confidential(kind: str) -> Callable[..., UserRow | None]:
    """Return a dependency for a confidential read (``kind`` of ``CONFIDENTIAL_READS``): the user,
    who must be signed in (any role) unless ``Settings.public_reads`` names ``kind`` — then also
    None for anonymous, unless login is required for every read."""
    what, what_id = _CONFIDENTIAL_WHAT[kind]

    def dependency(
        state: StateDep, user: Annotated[UserRow | None, Depends(optional_user)]
    ) -> UserRow | None:
        if user is None and (state.require_login or kind not in state.settings.public_reads):
            exc = NotAuthenticatedError(
                f"{what}: log in to read them",
                where="Authorization",
                hint=f"log in (POST /api/v1/auth/token); an administrator can open them to everyone "
                f"with PARKSITE_PUBLIC_READS={kind}",
                msg=msg("error.login.confidential", what=msg(what_id), kind=kind),
            )
            raise exc
        return user

    dependency.__name__ = f"confidential_{kind}"
    setattr(dependency, GUARD_ATTR, dependency)
    return dependency


ProjectReader = Annotated[UserRow | None, Depends(confidential("projects"))]


def import_transaction(session: Session, dry_run: bool) -> AbstractContextManager[Session]:
    """Return :func:`write_transaction`, or for a dry run the same transaction rolled back at the
    end (:func:`app.api.tx.dry_run_in`): an import checked in full and nothing kept."""
    return tx.dry_run_in(session) if dry_run else tx.write_in(session)


def write_transaction(session: Session) -> AbstractContextManager[Session]:
    """Return a context manager: one write transaction in the request's ``session`` (see
    :func:`app.api.tx.write_in`: its read transaction ends first, so the request never holds two
    connections), committed on success and rolled back on any error."""
    return tx.write_in(session)
