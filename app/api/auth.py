"""Tokens: ``POST /api/v1/auth/token`` (OAuth2 password form) and ``GET /api/v1/me``.

Tokens are JWTs (HS256) made and read by :mod:`app.security` and signed with
``Settings.secret_key``; when that is unset a random key is generated once and kept in
``<state_dir>/secret_key`` (mode 0600), so tokens survive a restart. A token carries the user
name (``sub``), issue and expiry times (``Settings.token_minutes``); the role is read from the
database on every request, so a role change or a disabled account takes effect at once. Unknown user, wrong password and disabled account get the same 401.
Failed logins are counted per user name and per client address (:mod:`app.api.throttle`): past
the limits of ``Settings.login_*`` a login is refused with 429 and ``Retry-After`` without the
password being checked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.api.deps import ApiState, SessionDep, Viewer, api_state, require_user
from app.api.models import ErrorBody, Me, Token
from app.api.throttle import LoginThrottle, client_address, login_throttle
from app.db.models import UserRow
from app.db.users import authenticate
from app.errors import NotAuthenticatedError
from app.security import create_token
from gis.messages import msg

router = APIRouter(tags=["auth"])


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
    # the throttle writes in sessions of its own: it is called while ``session`` holds no
    # connection (before the first read, after the commit or rollback), never beside it
    attempt = throttle.begin(form.username, client_address(request))
    try:
        user: UserRow | None = authenticate(session, form.username, form.password)
    except BaseException:
        session.rollback()
        throttle.cancel(attempt)
        raise
    if user is None:
        session.rollback()
        throttle.failed(attempt)
        raise NotAuthenticatedError(
            "wrong user name or password, or the account is disabled",
            where="login",
            hint="check the user name and password",
            msg=msg("error.login.failed"),
        )
    session.commit()
    throttle.succeeded(attempt)
    token, seconds = create_token(state.secret, user.name, state.settings.token_minutes)
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
