"""Tokens: ``POST /api/v1/auth/token`` (OAuth2 password form) and ``GET /api/v1/me``.

Tokens are JWTs (HS256) signed with ``Settings.secret_key``; when that is unset a random key is
generated once and kept in ``<state_dir>/secret_key`` (mode 0600), so tokens survive a restart.
A token carries the user name (``sub``), issue and expiry times (``Settings.token_minutes``);
the role is read from the database on every request, so a role change or a disabled account
takes effect at once. Unknown user, wrong password and disabled account get the same 401.
Failed logins are counted per user name and per client address (:mod:`app.api.throttle`): past
the limits of ``Settings.login_*`` a login is refused with 429 and ``Retry-After`` without the
password being checked.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import ApiState, SessionDep, Viewer, api_state, require_user
from app.api.models import ErrorBody, Me, Token
from app.api.throttle import LoginThrottle, client_address, login_throttle
from app.db.models import User
from app.db.users import authenticate
from app.errors import NotAuthenticatedError
from app.settings import Settings

ALGORITHM = "HS256"
SECRET_FILE = "secret_key"

router = APIRouter(tags=["auth"])


def secret_key(settings: Settings) -> str:
    """Return the token signing key: ``Settings.secret_key``, else the one kept under state_dir.

    The file is created (0600) with 48 random bytes on first use; concurrent first uses agree
    on one key (exclusive create, then read).
    """
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.state_dir) / SECRET_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(48))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise NotAuthenticatedError(
            "the token signing key is too short",
            where=str(path),
            hint="delete the file (a new key is made) or set PARKSITE_SECRET_KEY",
        )
    return key


def create_token(state: ApiState, user_name: str) -> tuple[str, int]:
    """Return ``(token, lifetime in seconds)`` for ``user_name``."""
    now = dt.datetime.now(dt.UTC)
    minutes = state.settings.token_minutes
    claims = {"sub": user_name, "iat": now, "nbf": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, state.secret, algorithm=ALGORITHM), minutes * 60


def decode_token(state: ApiState, token: str) -> str:
    """Return the user name of a valid token; NotAuthenticatedError for an invalid or expired one."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, state.secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticatedError(
            "the token has expired", where="Authorization", hint="log in again (POST /api/v1/auth/token)"
        ) from None
    except jwt.InvalidTokenError as exc:
        raise NotAuthenticatedError(
            f"the token is not valid ({exc})",
            where="Authorization",
            hint="log in again (POST /api/v1/auth/token)",
        ) from None
    return str(claims["sub"])


@router.post(
    "/auth/token",
    response_model=Token,
    summary="Log in: user name and password → bearer token",
    responses={
        401: {"model": ErrorBody, "description": "wrong user name or password"},
        429: {
            "model": ErrorBody,
            "description": "too many failed logins for this user "
            "name or from this address: wait Retry-After seconds (the body adds "
            "retry_after and message_zh)",
        },
    },
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    state: Annotated[ApiState, Depends(api_state)],
    request: Request,
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
) -> Token:
    """Exchange a user name and password (``application/x-www-form-urlencoded``) for a JWT.

    Refused with 429 (``LoginThrottledError``), before the password is checked, while the user
    name or the client address is locked out after too many failed logins.
    """
    attempt = throttle.begin(form.username, client_address(request))
    try:
        user: User | None = authenticate(session, form.username, form.password)
    except BaseException:
        throttle.cancel(attempt)
        raise
    if user is None:
        throttle.failed(attempt)
        session.rollback()
        raise NotAuthenticatedError(
            "wrong user name or password, or the account is disabled",
            where="login",
            hint="check the user name and password",
        )
    throttle.succeeded(attempt)
    session.commit()
    token, seconds = create_token(state, user.name)
    return Token(access_token=token, token_type="bearer", expires_in=seconds, role=user.role)


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I: name and role of the token's user",
    responses={401: {"model": ErrorBody, "description": "no token, or an invalid one"}},
)
def me(request: Request, user: Viewer) -> Me:
    """Return the logged-in user's name and role (401 without a valid token)."""
    u = require_user(user)
    return Me(name=u.name, role=u.role)
