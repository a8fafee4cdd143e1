"""What each layer of a zone must hold (``LAYERS``), and reading id and text fields from it.

Used by the import (:mod:`app.db.import_read`, :mod:`app.db.import_write`), by the layers read
back (:mod:`app.db.layers`) and by the exports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class LayerSpec:
    """What a zone layer must hold: geometry kind(s), id field, required and finite fields.

    ``kind_field``/``name_field``/``status_field`` are the fields kept in the infrastructure
    table's own columns; every other field goes to ``attrs`` under its own name. ``optional``
    names the fields parksite reads when a layer has them (offered in the import page's field
    table beside the required ones).
    """

    name: str
    geometry: tuple[str, ...]
    id_field: str
    required: tuple[str, ...] = ()
    finite: tuple[str, ...] = ()
    mandatory: bool = False
    kind_field: str | None = None
    optional: tuple[str, ...] = ()


LAYERS: dict[str, LayerSpec] = {
    s.name: s
    for s in (
        LayerSpec(
            "parks", ("polygon",), "park_id", ("park_id",), mandatory=True, optional=("name", "name_en")
        ),
        LayerSpec(
            "clusters",
            ("polygon",),
            "cluster_id",
            ("cluster_id", "park_id"),
            mandatory=True,
            optional=("name", "name_en", "kind"),
        ),
        LayerSpec(
            "parcels",
            ("polygon",),
            "parcel_id",
            ("parcel_id", "park", "status"),
            mandatory=True,
            optional=("cluster", "enterprise", "land_use", "declared_area_m2"),
        ),
        LayerSpec(
            "roads", ("line",), "road_id", ("road_id", "class"), kind_field="class", optional=("name",)
        ),
        LayerSpec(
            "rivers",
            ("line",),
            "river_id",
            ("river_id", "name", "control_distance_m"),
            finite=("control_distance_m",),
        ),
        LayerSpec(
            "substations",
            ("point",),
            "substation_id",
            ("substation_id", "name", "voltage_kv"),
            finite=("voltage_kv",),
        ),
        LayerSpec("water", ("point", "line"), "water_id", ("water_id", "name", "kind"), kind_field="kind"),
        LayerSpec("places", ("point",), "place_id", ("place_id", "name", "kind"), kind_field="kind"),
    )
}
INFRASTRUCTURE = ("roads", "rivers", "substations", "water", "places")

#: Parcel fields stored in their own columns (the rest go to ``attrs``); areas are recomputed.
PARCEL_COLUMNS = {"parcel_id", "park", "cluster", "status", "area_m2", "area_mu", "enterprise", "land_use"}


def field_text(value: Any) -> str | None:
    """Return a text field value stripped (None for empty, null or NaN)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None
