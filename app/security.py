"""Passwords and tokens: argon2id password hashes and the API's signed bearer tokens (JWT).

Used by :mod:`app.db.users` (hashing and checking passwords), :mod:`app.api.auth` (issuing a
token at login) and :mod:`app.api.deps` (reading the token of each request). It imports neither
the database nor FastAPI, so none of them imports another through it.

Tokens are JWTs (HS256) signed with ``Settings.secret_key``; when that is unset a random key is
generated once and kept in ``<state_dir>/secret_key`` (mode 0600), so tokens survive a restart.
A token carries the user name (``sub``) and its issue and expiry times.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.errors import NotAuthenticatedError
from app.settings import Settings
from gis.messages import msg

ALGORITHM = "HS256"
SECRET_FILE = "secret_key"

_hasher = PasswordHasher()


# --------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    """Return the argon2id hash (PHC string) of ``password``."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cases take the same time."""
    return _hasher.hash("not-a-real-password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash``.

    With ``password_hash`` None (no such user) a dummy hash is verified, so an unknown user
    takes about as long as a wrong password, and False is returned.
    """
    try:
        _hasher.verify(password_hash if password_hash is not None else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """Return whether ``password_hash`` was made with older argon2 parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


# --------------------------------------------------------------------------- tokens


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


def create_token(secret: str, user_name: str, minutes: int) -> tuple[str, int]:
    """Return ``(token, lifetime in seconds)`` for ``user_name``, valid ``minutes`` from now."""
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": user_name, "iat": now, "nbf": now, "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), minutes * 60


def decode_token(secret: str, token: str) -> str:
    """Return the user name of a valid token; NotAuthenticatedError for an invalid or expired one."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticatedError(
            "the token has expired",
            where="Authorization",
            hint="log in again (POST /api/v1/auth/token)",
            msg=msg("error.login.expired"),
        ) from None
    except jwt.InvalidTokenError as exc:
        raise NotAuthenticatedError(
            f"the token is not valid ({exc})",
            where="Authorization",
            hint="log in again (POST /api/v1/auth/token)",
            msg=msg("error.login.invalid"),
        ) from None
    return str(claims["sub"])
