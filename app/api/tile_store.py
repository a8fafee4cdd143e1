"""Rendered hillshade and slope tiles on disk, shared by every worker process of a server.

``parksite serve`` runs several worker processes; each keeps its own in-memory LRU of tiles
(:class:`app.api.tiles.TileCache`), which stays in front. Behind it, :class:`TileStore` keeps
the PNGs under the state directory (``<state_dir>/tiles``), so a tile rendered (or seeded, see
:mod:`app.api.tile_seed`) by one process is read by the others, and by the next server after a
restart, without rendering it again::

    <state_dir>/tiles/<database>/<zone>/<import>/<layer>/<z>/<x>/<y>.png

``<database>`` is a short hash of the database URL (password left out), so servers on different
databases sharing a state directory never see each other's tiles (``local`` for the state
directory's own SpatiaLite file, which moves with it); ``<import>`` is the zone's
import time (UTC, ``20261207T184512123456Z``): a re-import makes a new folder, so new tiles are
shown at once, and the folders of the zone's older imports are removed the first time a process
meets the new one (:meth:`TileStore.prune`). The same identity keys the in-memory cache
(:class:`TileKey`).

Writes are atomic: the PNG goes to a temporary file in the tile's own folder, which is then
renamed over the tile's name (``os.replace``), so a concurrent reader in another process sees
either no file or the whole tile, never part of one. A file that is not a whole PNG (a disk
that filled up during a crash) is treated as missing and removed. A failed write (a read-only or
full disk) is logged and the tile is still served from memory: the store is a cache.

Only tiles at zoom ≤ ``max_zoom`` (the web map's deepest native zoom, 16) are written by the tile
route, and only those with data (the transparent tile is not), so requests for deep zooms or far
away never fill the disk; the seed (:func:`app.api.tile_seed.seed_tiles`) writes every tile of
the zone's extent, transparent ones included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: The tiled terrain layers (``/tiles/{layer}/{z}/{x}/{y}.png``).
LAYERS: tuple[str, ...] = ("hillshade", "slope")
#: The deepest zoom the tile route writes to disk (the web map's ``maxNativeZoom``).
DISK_MAX_ZOOM = 16
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The last chunk of every PNG (length 0, type IEND, its CRC).
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_TAG = re.compile(r"^\d{8}T\d{12}Z$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def import_tag(imported_at: dt.datetime) -> str:
    """Return the folder name of a zone import: its time in UTC, ``YYYYMMDDTHHMMSSffffffZ``.

    Later imports sort after earlier ones (the pruning relies on it). A naive time is taken as UTC.
    """
    if imported_at.tzinfo is not None:
        imported_at = imported_at.astimezone(dt.UTC)
    return imported_at.strftime("%Y%m%dT%H%M%S%fZ")


def database_tag(url: str) -> str:
    """Return a short, stable hash (12 hex digits) of a database URL, its password left out."""
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    return hashlib.sha1(shown.encode()).hexdigest()[:12]


def _safe(name: str) -> str:
    """Return ``name`` usable as one folder name (zone ids are short codes; be safe anyway)."""
    cleaned = _SAFE.sub("_", name)
    if cleaned != name or cleaned in ("", ".", ".."):
        cleaned = f"{cleaned}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return cleaned


@dataclass(frozen=True)
class TileKey:
    """What a rendered terrain tile depends on: the zone, its import, the layer and the address."""

    zone_id: str
    imported: str  # import_tag() of the zone's import time
    layer: str
    z: int
    x: int
    y: int

    @classmethod
    def of(cls, zone_id: str, imported_at: dt.datetime, layer: str, z: int, x: int, y: int) -> TileKey:
        """Return the key of tile ``layer/z/x/y`` of the zone imported at ``imported_at``."""
        return cls(zone_id, import_tag(imported_at), layer, z, x, y)


def is_whole_png(data: bytes) -> bool:
    """Return whether ``data`` starts with the PNG signature and ends with the IEND chunk."""
    return data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END)


class TileStore:
    """Tiles on disk under ``root / database_tag(url)`` (see the module docstring). Thread-safe
    and safe across processes; counts ``hits``, ``misses`` and ``writes`` of this process."""

    def __init__(
        self, root: Path, database_url: str, *, max_zoom: int = DISK_MAX_ZOOM, folder: str | None = None
    ):
        self.root = Path(root) / (folder or database_tag(database_url))
        self.max_zoom = max_zoom
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str]] = set()

    @classmethod
    def for_settings(cls, state_dir: Path, database_url: str) -> TileStore:
        """Return the store of a server: ``<state_dir>/tiles`` for its database. The state
        directory's own SpatiaLite file (the default database) gets the folder ``local``, so a
        state directory copied or moved elsewhere keeps its tiles."""
        own = f"sqlite:///{(Path(state_dir) / 'parksite.sqlite').resolve()}"
        return cls(Path(state_dir) / "tiles", database_url, folder="local" if database_url == own else None)

    def import_dir(self, zone_id: str, imported: str) -> Path:
        """Return the folder of one import of a zone."""
        return self.root / _safe(zone_id) / imported

    def path(self, key: TileKey) -> Path:
        """Return the file of a tile."""
        return (
            self.import_dir(key.zone_id, key.imported) / key.layer / str(key.z) / str(key.x) / f"{key.y}.png"
        )

    def has(self, key: TileKey) -> bool:
        """Return whether the tile's file exists (not read)."""
        return self.path(key).is_file()

    def get(self, key: TileKey) -> bytes | None:
        """Return the stored PNG of ``key``, or None when there is none (or it is not whole)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        if data is not None and not is_whole_png(data):
            log.warning("tile cache: %s is not a whole PNG; removed", path)
            path.unlink(missing_ok=True)
            data = None
        with self._lock:
            if data is None:
                self.misses += 1
            else:
                self.hits += 1
        return data

    def put(self, key: TileKey, png: bytes) -> bool:
        """Write the tile atomically (temporary file, then ``os.replace``); return whether it was
        written. Errors of the disk are logged, not raised. The first write of an import in this
        process removes the zone's older imports (:meth:`prune`)."""
        self._first_sight(key.zone_id, key.imported)
        path = self.path(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key.y}.", suffix=".tmp")
            if hasattr(os, "fchmod"):  # mkstemp makes it 0600; a seed run by another account still serves
                os.fchmod(fd, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(png)
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            log.warning("tile cache: could not write %s (%s); the tile is served from memory", path, exc)
            return False
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        with self._lock:
            self.writes += 1
        return True

    def _first_sight(self, zone_id: str, imported: str) -> None:
        with self._lock:
            if (zone_id, imported) in self._seen:
                return
            self._seen.add((zone_id, imported))
        self.prune(zone_id, imported)

    def prune(self, zone_id: str, current: str) -> list[str]:
        """Remove the folders of the zone's imports older than ``current``; return their names.

        Only older ones: a process still answering a request for the previous import never
        removes the new import's tiles."""
        zone_dir = self.root / _safe(zone_id)
        try:
            names = [p.name for p in zone_dir.iterdir() if p.is_dir() and _TAG.match(p.name)]
        except OSError:
            return []
        removed = []
        for name in sorted(names):
            if name < current:
                shutil.rmtree(zone_dir / name, ignore_errors=True)
                removed.append(name)
        if removed:
            log.info("tile cache: removed the tiles of zone %s's older imports %s", zone_id, removed)
        return removed

    @contextmanager
    def seeding(self) -> Iterator[None]:
        """Hold the store's seed lock (a file lock, across processes) for the block: worker
        processes seeding at the same start take turns, and the later ones find the tiles on disk.
        Without ``fcntl`` (not POSIX) the block runs unlocked."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        with (self.root / ".seed.lock").open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
