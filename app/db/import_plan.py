"""What replacing a zone will remove, worked out before anything is written.

A replace (``parksite import --replace``) updates the layers the sources carry. A layer they do
not carry — an infrastructure layer missing from the GeoPackage, or no DEM given — is kept as it
is in the database unless ``drop_missing`` (``--drop-missing``) says to remove it: a file
without ``roads`` never silently deletes the zone's roads. :func:`replace_plan` counts, per
layer, the rows the replace will remove — those whose id (``parcel_id``, ``road_id``, …, a
DEM's file name) the sources no longer hold, and every row of a layer not carried when it is
dropped — and the layers kept; the command prints it before the write. (Infrastructure
features whose ids the sources still hold are replaced by them, not removed.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.import_layers import INFRASTRUCTURE, LAYERS
from app.db.import_read import ZoneBundle
from app.db.models import ClusterRow, InfrastructureFeatureRow, ParcelRow, ParkRow, RasterRefRow
from gis.tables import key_text


@dataclass(frozen=True)
class LayerFate:
    """What a replace does to one layer of a zone in the database.

    ``in_db`` rows are there now; ``in_file`` the sources carry (None: the sources do not carry
    the layer); ``removed`` of the rows there now will be removed; ``kept`` says a layer the
    sources do not carry stays as it is.
    """

    layer: str
    in_db: int
    in_file: int | None
    removed: int
    kept: bool = False

    def line(self) -> str:
        """Return what happens to the layer, as one line of text."""
        if self.in_file is None:
            if self.kept:
                return (
                    f"{self.layer}: not in the sources — the {self.in_db} in the database are kept "
                    "(pass --drop-missing to remove them)"
                )
            return f"{self.layer}: not in the sources — {self.removed} to be removed (--drop-missing)"
        return f"{self.layer}: {self.removed} of {self.in_db} to be removed (no longer in the sources)"


@dataclass
class ReplacePlan:
    """What a replace of zone ``zone_id`` will remove and keep, per layer."""

    zone_id: str
    drop_missing: bool
    layers: list[LayerFate] = field(default_factory=list)

    @property
    def removed(self) -> dict[str, int]:
        """Rows to be removed per layer (layers with none left out)."""
        return {f.layer: f.removed for f in self.layers if f.removed}

    @property
    def kept(self) -> list[str]:
        """The layers the sources do not carry that stay as they are."""
        return [f.layer for f in self.layers if f.kept]

    def lines(self) -> list[str]:
        """Return the plan as lines of text: a heading, then one line per layer it touches."""
        touched = [f for f in self.layers if f.removed or f.kept]
        total = sum(f.removed for f in self.layers)
        head = f"replacing zone {self.zone_id}: {total} row(s) to be removed"
        return [head, *(f.line() for f in touched)]


def _codes(session: Session, column: Any, *where: Any) -> list[str]:
    return [str(c) for c in session.scalars(select(column).where(*where))]


def _fate(name: str, old: list[str], new: set[str] | None, drop_missing: bool) -> LayerFate:
    if new is None:
        return LayerFate(name, len(old), None, len(old) if drop_missing else 0, kept=not drop_missing)
    return LayerFate(name, len(old), len(new), sum(1 for c in old if c not in new))


def replace_plan(session: Session, bundle: ZoneBundle, *, drop_missing: bool = False) -> ReplacePlan:
    """Return what replacing the zone in the database by ``bundle`` removes and keeps, per layer.

    Counts only; nothing is written. For a zone not in the database the plan removes nothing.
    """
    zid = bundle.zone_id
    plan = ReplacePlan(zid, drop_missing)
    frames = bundle.frames
    current = {
        "parks": _codes(session, ParkRow.code, ParkRow.zone_id == zid),
        "clusters": _codes(session, ClusterRow.code, ClusterRow.zone_id == zid),
        "parcels": _codes(session, ParcelRow.parcel_id, ParcelRow.zone_id == zid),
    }
    incoming: dict[str, set[str] | None] = {
        "parks": {p.id for p in bundle.config.parks},
        "clusters": {c.id for _, c in bundle.config.clusters()},
        "parcels": {str(key_text(v)) for v in frames["parcels"]["parcel_id"]},
    }
    for name in INFRASTRUCTURE:
        row = InfrastructureFeatureRow
        current[name] = _codes(session, row.code, row.zone_id == zid, row.layer == name)
        spec = LAYERS[name]
        incoming[name] = {str(key_text(v)) for v in frames[name][spec.id_field]} if name in frames else None
    current["dems"] = _codes(session, RasterRefRow.name, RasterRefRow.zone_id == zid)
    incoming["dems"] = {r.path.name for r in bundle.rasters} if bundle.rasters else None
    for name, old in current.items():
        if old or incoming[name] is not None:
            plan.layers.append(_fate(name, old, incoming[name], drop_missing))
    return plan


__all__ = ["LayerFate", "ReplacePlan", "replace_plan"]
