"""PostGIS backups with PostgreSQL's own tools: ``pg_dump -Fc`` out, ``pg_restore`` + ``psql`` in.

The tools come with Debian's ``postgresql-client`` (``scripts/setup.sh`` installs it); their
major version must be the server's or newer. They connect with the database URL's host, port,
user, password (passed in the environment, never on the command line) and database.

What is backed up is parksite's schema — the first schema of the URL's ``search_path``
(``?options=-csearch_path%3Dparksite,public``), else ``public`` — with ``pg_dump -n SCHEMA``:
its tables, sequences, indexes and constraints with their data, without owners and privileges.
PostGIS itself (the extension, ``spatial_ref_sys``) is not: the database restored into must have
``CREATE EXTENSION postgis`` already (:func:`app.db.probe.probe` checks).

A restore is one transaction (``psql --single-transaction``, stopping at the first error): the
schema's own tables, views and sequences (never the extension's) are dropped and the archive's
recreated and filled. Anything failing — a damaged archive, a lock held by a running server
(``lock_timeout``) — rolls all of it back and the database is as it was. The archive must come
from a schema of the same name (its SQL names the schema).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.db.probe import shown_url
from gis.errors import ConfigError, InputFileError, ParksiteError

#: First bytes of a ``pg_dump -Fc`` archive.
MAGIC = b"PGDMP"
#: Query parameters of the URL passed on to the tools as libpq environment variables.
LIBPQ_PARAMS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}
#: How long a restore waits for a table another connection holds (a running server) before giving up.
LOCK_TIMEOUT = "30s"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
#: A TOC line of ``pg_restore -l``: ``id; catalog-oid object-oid TYPE schema name owner``.
_TOC = re.compile(r"^\d+; \d+ \d+ (?P<rest>.+)$")


class BackupToolError(ParksiteError):
    """``pg_dump``, ``pg_restore`` or ``psql`` failed (the message quotes its error)."""


def target_schema(url: str | URL) -> str:
    """Return the schema parksite's tables live in: the URL's first ``search_path`` entry, else
    ``public``. ConfigError for a name that needs quoting (not supported)."""
    u = make_url(url)
    options = u.query.get("options") or ""
    if isinstance(options, tuple):
        options = " ".join(options)
    match = re.search(r"search_path\s*=\s*([^\s]+)", options)
    schema = "public"
    if match:
        for part in match.group(1).split(","):
            name = part.strip().strip('"')
            if name and name != "$user":
                schema = name
                break
    if not _NAME.match(schema):
        raise ConfigError(
            f"the schema name {schema!r} needs quoting; backups support plain names only",
            where=shown_url(u),
            hint="use a schema named with letters, digits and _",
        )
    return schema


def tool(name: str) -> str:
    """Return the path of a PostgreSQL client tool; ConfigError naming the package if missing."""
    path = shutil.which(name)
    if path is None:
        raise ConfigError(
            f"the PostgreSQL client tool {name} is not installed",
            where="PATH",
            hint="install Debian's postgresql-client (apt-get install postgresql-client; "
            "bash scripts/setup.sh does), of the server's major version or newer",
        )
    return path


def libpq_env(url: str | URL) -> dict[str, str]:
    """Return the environment for the tools: this process's, with PGHOST, PGPORT, PGUSER,
    PGPASSWORD, PGDATABASE (and SSL settings) set from what ``url`` gives (what it leaves out
    comes from libpq's defaults and environment, as for the app's own connections)."""
    u = make_url(url)
    env = dict(os.environ)
    host = u.host or u.query.get("host")
    values = {
        "PGHOST": host,
        "PGPORT": str(u.port) if u.port else None,
        "PGUSER": u.username,
        "PGPASSWORD": u.password,
        "PGDATABASE": u.database,
    }
    for param, var in LIBPQ_PARAMS.items():
        value = u.query.get(param)
        values[var] = value if isinstance(value, str) else None
    env.update({var: str(value) for var, value in values.items() if value})  # else libpq's own defaults
    env.pop("PGOPTIONS", None)  # the tools set their own search_path
    return env


def _run(args: list[str], url: str | URL, what: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a tool; BackupToolError with its first error lines when it fails."""
    result = subprocess.run(args, env=libpq_env(url), capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()] or lines
        detail = "; ".join(errors[:3]) or f"exit code {result.returncode}"
        hint = None
        low = detail.lower()
        if "version mismatch" in low:
            hint = "install postgresql-client of the server's major version (or newer)"
        elif "lock timeout" in low:
            hint = "stop `parksite serve` (and other programs using the database) and try again"
        raise BackupToolError(f"{what} failed: {detail}", where=shown_url(url), hint=hint)
    return result


def dump(url: str | URL, dest: Path, schema: str) -> None:
    """Write a ``pg_dump -Fc`` archive of ``schema`` to ``dest`` (no owners or privileges)."""
    _run(
        [
            tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--schema={schema}",
            f"--file={dest}",
        ],
        url,
        "pg_dump",
    )


def toc(path: Path) -> list[str]:
    """Return the table of contents of a ``pg_dump -Fc`` archive (``pg_restore -l``), one entry a
    line; InputFileError when it cannot be read (damaged, truncated, not an archive)."""
    result = subprocess.run(
        [tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["unreadable"])[0]
        raise InputFileError(
            f"{path} is not a readable pg_dump archive ({detail})",
            where=str(path),
            hint="give a file written by `parksite db backup` from a PostGIS database",
        )
    return [ln for ln in result.stdout.splitlines() if ln and not ln.startswith(";")]


def archive_tables(entries: list[str]) -> dict[str, set[str]]:
    """Return the tables of an archive's table of contents, by schema."""
    out: dict[str, set[str]] = {}
    for entry in entries:
        m = _TOC.match(entry)
        if m is None:
            continue
        words = m.group("rest").split()
        if len(words) >= 3 and words[0] == "TABLE" and words[1] != "DATA":
            out.setdefault(words[1], set()).add(words[2])
    return out


def archive_revision(path: Path, schema: str) -> str | None:
    """Return the Alembic revision stored in an archive's ``alembic_version`` table (None if empty)."""
    result = subprocess.run(
        [
            tool("pg_restore"),
            "--data-only",
            f"--schema={schema}",
            "--table=alembic_version",
            "--file=-",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[i + 1].strip() if i + 1 < len(lines) else "\\."
            return None if value == "\\." else value
    return None


def _restorable(entries: list[str]) -> list[str]:
    """Return the archive entries to restore: not the schema itself, extensions or PostGIS's
    ``spatial_ref_sys`` (those belong to the database)."""
    keep = []
    for entry in entries:
        m = _TOC.match(entry)
        rest = m.group("rest") if m else ""
        if rest.startswith(("SCHEMA ", "COMMENT - SCHEMA ", "EXTENSION ", "COMMENT - EXTENSION ")):
            continue
        if " spatial_ref_sys " in f" {rest} ":
            continue
        keep.append(entry)
    return keep


def _prelude(schema: str) -> str:
    """SQL that empties ``schema`` of everything but extension objects (run before the archive)."""
    not_extension = (
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype = 'e')"
    )
    return f"""SET lock_timeout = '{LOCK_TIMEOUT}';
CREATE SCHEMA IF NOT EXISTS {schema};
DO $parksite$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT format('%I.%I', n.nspname, c.relname) AS name,
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '{schema}' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {not_extension}
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE', r.kind, r.name);
  END LOOP;
  FOR r IN
    SELECT format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '{schema}' AND c.relkind = 'S' AND {not_extension}
  LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %s CASCADE', r.name);
  END LOOP;
END
$parksite$;
"""


def restore(url: str | URL, src: Path, schema: str, entries: list[str]) -> None:
    """Replace ``schema``'s tables by the archive's, in one transaction (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="parksite-restore-") as tmp:
        listing = Path(tmp) / "entries.list"
        listing.write_text("\n".join(_restorable(entries)) + "\n", encoding="utf-8")
        script = Path(tmp) / "restore.sql"
        _run(
            [
                tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                f"--use-list={listing}",
                f"--file={script}",
                str(src),
            ],
            url,
            "pg_restore",
        )
        prelude = Path(tmp) / "prelude.sql"
        prelude.write_text(_prelude(schema), encoding="utf-8")
        _run(
            [
                tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--file={prelude}",
                f"--file={script}",
            ],
            url,
            "restoring with psql",
        )
