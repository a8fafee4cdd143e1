"""The field-mapping file: how a zone office's files become parksite's layers.

A small YAML file (paths relative to it)::

    crs: EPSG:4525                 # the CRS of files that declare none (else --crs)
    encoding: GBK                  # text encoding of files that do not say (else detected)
    layers:
      parks:
        file: 园区范围.shp
        fields: {park_id: {value: main}, name: 园区名称}
      parcels:
        file: 控规.dxf
        dxf: {layers: [地块], label_layers: [编号], label_pattern: "JC-\\d+"}
        join:                      # XLSX/CSV rows joined by key
          - {file: 地块台账.xlsx, key: 地块编号, field: label}
        overlay:                   # the 三调 code covering most of each parcel
          - {file: DLTB.shp, field: DLBM}
        fields:
          parcel_id: label
          park: {value: main}
          status: {field: DLBM, codes: dlbm, take: status}
          land_use: {field: DLBM, codes: dlbm, take: name}
          declared_area_m2: {field: 面积, unit: 亩}
          investment_wan: {field: 投资额, unit: 元}

A field is a source field's name, or ``{field, codes, take, unit, default}`` or ``{value}``
(the same value for every feature). ``codes`` names a code table of the zone file
(``land_codes``, e.g. the 三调 ``dlbm`` table) or of this file's ``codes`` section; ``take``
says what of the code's entry to keep (``status``, ``name``, ``name_en``, ``cover`` or the
``code`` itself). ``unit`` is the source's unit; the target's unit is its name's ending
(``_m2``, ``_mu``, ``_ha``, ``_wan``, ``_yuan``, ``_yi``). Without ``fields`` a layer keeps its
own fields as they are. Joins and overlays run before the fields are mapped, so ``fields`` may
name their columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.db.import_layers import LAYERS
from gis.errors import ConfigError
from scoring.config_base import ConfigModel, read_yaml, validate
from scoring.land_codes import CodeTable

#: Units a field may be given in, by the dimension they measure, with their size in the
#: dimension's base unit (m², 元).
UNITS: dict[str, tuple[str, float]] = {
    "m²": ("area", 1.0),
    "m2": ("area", 1.0),
    "平方米": ("area", 1.0),
    "亩": ("area", 10_000.0 / 15.0),
    "公顷": ("area", 10_000.0),
    "ha": ("area", 10_000.0),
    "hm²": ("area", 10_000.0),
    "km²": ("area", 1_000_000.0),
    "平方公里": ("area", 1_000_000.0),
    "元": ("money", 1.0),
    "万元": ("money", 10_000.0),
    "亿元": ("money", 100_000_000.0),
}

#: A target field's unit, by the ending of its name.
TARGET_UNITS: dict[str, str] = {
    "_m2": "m²",
    "_mu": "亩",
    "_ha": "公顷",
    "_km2": "km²",
    "_yuan": "元",
    "_wan": "万元",
    "_yi": "亿元",
}

Take = Literal["code", "status", "name", "name_en", "cover"]


def target_unit(target: str) -> str | None:
    """Return the unit a target field's name ends in (``declared_area_m2`` → ``m²``), or None."""
    return next((u for end, u in TARGET_UNITS.items() if target.endswith(end)), None)


class FieldSpec(ConfigModel):
    """Where a parksite field's values come from: a source ``field`` or a constant ``value``;
    ``codes`` and ``take`` look them up in a code table; ``unit`` converts numbers; ``default``
    fills empty values."""

    field: str | None = None
    value: str | int | float | bool | None = None
    codes: str | None = None
    take: Take = "code"
    unit: str | None = None
    default: str | int | float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"field": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        if (self.field is None) == (self.value is None):
            raise ValueError("give exactly one of 'field' (a source field) or 'value' (a constant)")
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}: use one of {', '.join(UNITS)}")
        if self.take != "code" and self.codes is None:
            raise ValueError(f"'take: {self.take}' needs 'codes' (a code table)")
        return self


class DxfSpec(ConfigModel):
    """Which layers of a DXF drawing hold the outlines and the labels (see gis.dxf.DxfOptions)."""

    layers: list[str] = Field(default_factory=list)
    label_layers: list[str] = Field(default_factory=list)
    label_pattern: str | None = None
    attribute: str | None = None


class JoinSpec(ConfigModel):
    """An XLSX/CSV table joined where the layer's ``field`` equals the table's column ``key``
    (``field``, not ``on``: YAML reads a bare ``on`` as true)."""

    file: str
    sheet: str | None = None
    encoding: str | None = None
    key: str
    field: str
    columns: list[str] | None = None


class OverlaySpec(ConfigModel):
    """A polygon layer (a 三调 DLTB) whose ``field`` covering most of each feature is added as
    ``name`` (default: the field's own name) with its share in ``<name>_share``."""

    file: str
    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    field: str
    name: str | None = None

    @property
    def column(self) -> str:
        return self.name or self.field


class LayerMapping(ConfigModel):
    """One parksite layer: its file (and layer in it), how to read it, what to join and map."""

    file: str
    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    dxf: DxfSpec | None = None
    join: list[JoinSpec] = Field(default_factory=list)
    overlay: list[OverlaySpec] = Field(default_factory=list)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    keep_unmapped: bool = False

    @field_validator("fields")
    @classmethod
    def _units_named(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        for target, spec in fields.items():
            if spec.unit is not None:
                unit = target_unit(target)
                if unit is None:
                    raise ValueError(
                        f"{target}: a field with a unit must be named with its unit "
                        f"({', '.join(TARGET_UNITS)}), e.g. declared_area_m2"
                    )
                if UNITS[unit][0] != UNITS[spec.unit][0]:
                    raise ValueError(f"{target}: {spec.unit} cannot be converted to {unit}")
        return fields


class FieldMapping(ConfigModel):
    """The whole mapping file: defaults, code tables and one entry per parksite layer."""

    crs: str | None = None
    encoding: str | None = None
    codes: dict[str, CodeTable] = Field(default_factory=dict)
    layers: dict[str, LayerMapping] = Field(min_length=1)

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, layers: dict[str, LayerMapping]) -> dict[str, LayerMapping]:
        unknown = sorted(set(layers) - set(LAYERS))
        if unknown:
            raise ValueError(f"unknown layer(s) {', '.join(unknown)}: layers are {', '.join(LAYERS)}")
        return layers


def load_mapping(path: str | Path) -> FieldMapping:
    """Read and validate a field-mapping YAML file; ConfigError naming each bad field path."""
    data = read_yaml(path, "field-mapping file", "give the path of the field-mapping YAML file")
    if not isinstance(data, dict):
        raise ConfigError("the field-mapping file must be a YAML mapping with 'layers'", where=str(path))
    return validate(FieldMapping, data, path, "the field-mapping file")


def resolve(base: str | Path, relative: str) -> Path:
    """Return a path named in the mapping file, relative to its folder ``base``."""
    return (Path(base) / relative).resolve()
