"""Settings, read from the environment (``PARKSITE_*``) by a factory, never at import time."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The repository (or installed source tree) root: bundled data lives under it.
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ZONE_FILE = ROOT / "data" / "zones" / "jiaokou.yaml"


#: Reads that carry confidential figures: signed-in users only unless ``Settings.public_reads``.
CONFIDENTIAL_READS: tuple[str, ...] = ("projects", "exports")


def default_state_dir() -> Path:
    """Return the directory for the embedded database and job files (outside tracked files)."""
    return ROOT / "var"


class Settings(BaseSettings):
    """parksite settings; every field can be set as ``PARKSITE_<NAME>`` in the environment.

    Login throttling (``app.api.throttle``): after ``login_max_failures`` failed logins for one
    user name (any letter case) within ``login_window_minutes``, or ``login_max_failures_per_address``
    from one client address, further logins for that name / from that address are refused with
    429 for ``login_lockout_minutes``, without checking the password. A successful login clears
    the name's failures (not the address's). The counts live in the server process. The
    per-address limit must be higher than the per-name one. The client address is the peer's, or,
    from a proxy in ``trusted_proxies``, the one it put in ``X-Forwarded-For`` (``app.api.proxies``).
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
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="IP addresses or networks (comma-separated, e.g. 10.0.0.5,10.0.1.0/24) of the "
        "reverse proxies in front of parksite: only their X-Forwarded-For header names the client "
        "(login throttling); default none, the header is ignored",
    )
    public_reads: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="confidential reads opened to anonymous users (comma-separated): "
        "'projects' (GET /api/v1/projects…: investors' figures, check results and who checked), "
        "'exports' (GET /api/v1/exports/…: the zone's files with enterprises' figures and project "
        "verdicts), or 'all'; default none — they need a signed-in user (any role). Map layers are "
        "public anyway unless require_login, which also overrides this",
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_body_mb: float = Field(50.0, gt=0, description="largest request body (MB): file uploads")
    max_json_mb: float = Field(
        4.0,
        gt=0,
        description="largest JSON request body (MB): edits, checks (an outline of max_vertices "
        "vertices is under 1 MB); larger ones are refused (413) before they are read",
    )
    max_vertices: int = 20_000
    repair_area_tolerance_share: float = Field(
        0.01,
        ge=0,
        le=1,
        description="an invalid outline (crossing itself) is repaired only if that changes its area "
        "by at most this share of it (or repair_area_tolerance_m2, whichever is larger); else the "
        "edit is refused (422) with the repaired outline offered",
    )
    repair_area_tolerance_m2: float = Field(
        1.0, ge=0, description="the smallest area change (m²) a repair may make (see the share)"
    )
    vector_tiles_above: int = Field(
        3000,
        ge=0,
        description="the web map draws parcels from vector tiles (/api/v1/tiles/parcels/{z}/{x}/{y}.mvt) "
        "instead of GeoJSON when its view holds more parcels than this (0: always vector tiles)",
    )
    vector_tiles_min_zoom: int = Field(
        14, ge=0, le=22, description="below this zoom the map shows no vector-tile parcels (zoom in)"
    )
    dask_scheduler: str = Field(
        "",
        description="batch scoring jobs from the web measure their parcels on Dask distributed: "
        "'local' (a LocalCluster of worker processes on this machine, per job) or the address of "
        "a running scheduler, e.g. tcp://10.0.0.5:8786 (docker-compose.yml starts one with "
        "workers; every worker must see the zone's DEM files at the same path); empty: in the "
        "server process, as before",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description="server worker processes of `parksite serve` (default: min(4, CPU count) on "
        "PostGIS, 1 on SpatiaLite, whose one database file is best written by one process; the "
        "login throttle's counts are in the database, shared by every worker)",
    )
    recover_on_start: bool = Field(
        True,
        description="mark jobs left unfinished as interrupted when the app starts; `parksite serve` "
        "with several workers does it once before they start and sets this off in them, so a "
        "worker restarted later never interrupts another worker's running jobs",
    )

    warm_on_start: bool = Field(
        True,
        description="each server process builds the served zone's measuring context (DEMs, slope, "
        "road network) and its rules and admission state in a background thread as it starts, "
        "instead of on the first check, terrain tile or parcel (GET /api/v1/health says when it "
        "is warm); requests are answered meanwhile. Off: built on first use",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        """Accept a comma-separated string (the environment) as well as a list; check each entry."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            entries = [str(v).strip() for v in value if str(v).strip()]
            for entry in entries:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                    ) from None
            return entries
        return value

    @field_validator("dask_scheduler")
    @classmethod
    def _dask_scheduler(cls, value: str) -> str:
        """Empty, 'local', or a scheduler address with its protocol (tcp://, tls://)."""
        value = value.strip()
        if value in ("", "local") or value.startswith(("tcp://", "tls://")):
            return value
        raise ValueError(f"{value!r} is not 'local' or a scheduler address such as tcp://10.0.0.5:8786")

    @field_validator("public_reads", mode="before")
    @classmethod
    def _public_reads(cls, value: object) -> object:
        """Accept a comma-separated string as well as a list; 'all' names every confidential read."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            names = [str(v).strip().lower() for v in value if str(v).strip()]
            if "all" in names:
                return list(CONFIDENTIAL_READS)
            unknown = [n for n in names if n not in CONFIDENTIAL_READS]
            if unknown:
                raise ValueError(
                    f"unknown read(s) {', '.join(map(repr, unknown))}: use "
                    f"{', '.join(CONFIDENTIAL_READS)} or all (comma-separated)"
                )
            return names
        return value

    @model_validator(mode="after")
    def _user_limit_first(self) -> Settings:
        """The per-address login limit must exceed the per-name one: a name is locked out first."""
        if self.login_max_failures_per_address <= self.login_max_failures:
            raise ValueError(
                f"login_max_failures_per_address ({self.login_max_failures_per_address}) must be "
                f"higher than login_max_failures ({self.login_max_failures}), so that one user's "
                "failures lock out that user name, not everyone behind the same address"
            )
        return self

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
