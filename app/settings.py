"""Settings, read from the environment (``PARKSITE_*``) by a factory, never at import time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The repository (or installed source tree) root: bundled data lives under it.
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"


def default_state_dir() -> Path:
    """Return the directory for the embedded database and job files (outside tracked files)."""
    return ROOT / "var"


class Settings(BaseSettings):
    """parksite settings; every field can be set as ``PARKSITE_<NAME>`` in the environment.

    Login throttling (``app.api.throttle``): after ``login_max_failures`` failed logins for one
    user name (any letter case) within ``login_window_minutes``, or ``login_max_failures_per_address``
    from one client address, further logins for that name / from that address are refused with
    429 for ``login_lockout_minutes``, without checking the password. A successful login clears
    the name's failures (not the address's). The counts live in the server process.
    """

    model_config = SettingsConfigDict(env_prefix="PARKSITE_", extra="ignore")

    database_url: str | None = Field(
        None, description="sqlite:///PATH (SpatiaLite) or postgresql+psycopg://USER@HOST/DB"
    )
    zone_file: Path = DEFAULT_ZONE_FILE
    state_dir: Path = Field(default_factory=default_state_dir)
    dev_mode: bool = Field(False, description="development mode: allows a default admin password")
    require_login: bool = Field(False, description="reads need a token too (else reads are open)")
    secret_key: str | None = Field(None, description="key that signs API tokens")
    token_minutes: int = 8 * 60
    login_max_failures: int = Field(
        5,
        ge=1,
        description="failed logins for one user name (any case) within the window before "
        "that name is locked out",
    )
    login_max_failures_per_address: int = Field(
        20,
        ge=1,
        description="failed logins from one client address, whatever the user names, "
        "within the window before that address is locked out",
    )
    login_window_minutes: float = Field(
        15.0, gt=0, description="sliding window (minutes) over which failed logins are counted"
    )
    login_lockout_minutes: float = Field(
        15.0,
        gt=0,
        description="how long (minutes) a locked-out user name or address is refused "
        "(429 with Retry-After), counted from the failure that locked it",
    )
    interrupted_job_inputs: Literal["keep", "delete"] = Field(
        "keep",
        description="what happens, at the next start, to the uploaded input of a batch job a "
        "stopped or killed server left unfinished: keep it (the job can be re-run with POST "
        "/api/v1/jobs/{id}/rerun) or delete it",
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_body_mb: float = 50.0
    max_vertices: int = 20_000
    host: str = "127.0.0.1"
    port: int = 8000

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SpatiaLite file in the state directory.

        The default's state directory is created when missing (it is parksite's own); a folder
        named in ``database_url`` must exist (``app.db.probe.check_sqlite_location``).
        """
        if self.database_url:
            return self.database_url
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.state_dir / 'parksite.sqlite').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (built on first use)."""
    return Settings()
