"""The app's error classes and the one table of HTTP statuses and CLI exit codes (``app.errors``):
cheap to import (only ``gis.errors``), the same classes everywhere, the right status each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import errors as app_errors
from gis import errors as e

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_error_table_loads_neither_the_database_nor_the_web_layer():
    """Every CLI command imports app.errors: it must not pull in SQLAlchemy, FastAPI or pandas."""
    code = (
        "import sys, app.errors\n"
        "heavy = ('app.db', 'app.api', 'sqlalchemy', 'fastapi', 'geoalchemy2', 'pandas', 'shapely')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_layers_raise_the_classes_of_app_errors():
    from app.api import errors as api_errors
    from app.db import edits, users

    assert edits.VersionConflictError is app_errors.VersionConflictError
    assert edits.ClusterGeometryError is app_errors.ClusterGeometryError
    assert users.PermissionDeniedError is app_errors.PermissionDeniedError
    assert api_errors.NotAuthenticatedError is app_errors.NotAuthenticatedError
    assert api_errors.PreconditionRequiredError is app_errors.PreconditionRequiredError


def _conflict() -> app_errors.VersionConflictError:
    return app_errors.VersionConflictError(
        "stale", entity="cluster", entity_id=1, expected_version=1, current_version=2, current_state=None
    )


def _outline() -> app_errors.ClusterGeometryError:
    return app_errors.ClusterGeometryError(
        "overlaps", kind="overlap", cluster="sc-almg", area_m2=5.0, geometry=None, crs="EPSG:4546"
    )


@pytest.mark.parametrize(
    ("make", "bases", "status", "exit_code"),
    [
        (_conflict, (e.ConflictError,), 412, 10),
        (_outline, (e.GeometryError,), 422, 6),
        (lambda: app_errors.PermissionDeniedError("no"), (e.ParksiteError,), 403, 11),
        (lambda: app_errors.NotAuthenticatedError("no"), (e.ParksiteError,), 401, 12),
        (lambda: app_errors.PreconditionRequiredError("no"), (e.ParksiteError,), 428, 13),
        (lambda: e.ConflictError("taken"), (e.ParksiteError,), 409, 10),
        (lambda: e.GeometryError("bad"), (e.ParksiteError,), 422, 6),
    ],
)
def test_statuses_and_exit_codes(make, bases, status, exit_code):
    exc = make()
    assert isinstance(exc, bases)
    assert (app_errors.http_status_for(exc), app_errors.exit_code_for(exc)) == (status, exit_code)
