"""Attribute tables (XLSX, CSV) joined to a layer by a key such as 地块编号.

Offices keep enterprises and parcel facts in spreadsheets keyed by the parcel number or the
enterprise name. :func:`read_table` reads the first (or a named) sheet of an ``.xlsx`` with
openpyxl, or a ``.csv`` in its declared or detected encoding (:mod:`gis.encoding`: UTF-8 with or
without BOM, or GBK as Excel writes it in China), every cell as text. :func:`join_table` adds
chosen columns to a layer where the layer's key equals the table's key (keys compared as text,
trimmed, ``7.0`` = ``7``) and reports what did not match both ways and keys the table repeats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.encoding import TextEncoding, table_encoding
from gis.errors import InputFileError, SchemaError
from gis.messages import msg

#: Largest table file accepted (bytes).
MAX_TABLE_BYTES = 100 * 1024 * 1024

TABLE_FORMATS = {".xlsx": "XLSX", ".csv": "CSV"}


def key_text(value: Any) -> str | None:
    """Return a key value as text (None for empty): 7.0 → "7", " a " → "a"."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    return text or None


def read_table(
    path: str | Path, *, sheet: str | None = None, encoding: str | None = None
) -> tuple[pd.DataFrame, TextEncoding | None]:
    """Read an XLSX sheet (``sheet``, else the first) or a CSV file, every cell as text (NaN
    for empty cells), column names trimmed. Returns the table and the CSV's encoding (None for
    XLSX). Raises InputFileError for a missing, empty, too large or unreadable file."""
    p = Path(path)
    where = str(p)
    fmt = TABLE_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"has an unknown table format {p.suffix or '(no extension)'!r}",
            where=where,
            hint="give an Excel workbook (.xlsx) or a CSV file (.csv)",
            msg=msg("error.table.format", suffix=p.suffix or "—"),
        )
    if not p.is_file():
        raise InputFileError(
            "file not found", where=where, hint="check the path", msg=msg("error.file.not_found")
        )
    size = p.stat().st_size
    if size == 0:
        raise InputFileError(
            "is empty (0 bytes)", where=where, hint="export the table again", msg=msg("error.table.empty")
        )
    if size > MAX_TABLE_BYTES:
        raise InputFileError(
            f"is {size / 1e6:.0f} MB, more than {MAX_TABLE_BYTES / 1e6:.0f} MB",
            where=where,
            hint="keep only the sheet and columns to join",
            msg=msg("error.table.too_large", size=f"{size / 1e6:.0f}", limit=f"{MAX_TABLE_BYTES / 1e6:.0f}"),
        )
    enc: TextEncoding | None = None
    try:
        if fmt == "XLSX":
            table = pd.read_excel(p, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
        else:
            enc = table_encoding(p, given=encoding, where=where)
            codec = "utf-8" if enc.codec == "ascii" else enc.codec
            table = pd.read_csv(p, dtype=str, encoding=codec, skipinitialspace=True)
    except InputFileError:
        raise
    except ValueError as exc:  # an unknown sheet name, a malformed file
        raise InputFileError(
            f"cannot be read as {fmt} ({exc})",
            where=where,
            hint="save it again",
            msg=msg("error.table.unreadable", format=fmt, detail=str(exc)),
        ) from exc
    except Exception as exc:  # openpyxl's and pandas' parse errors have no common base
        raise InputFileError(
            f"cannot be read as {fmt} ({exc})",
            where=where,
            hint="save it again",
            msg=msg("error.table.unreadable", format=fmt, detail=str(exc)),
        ) from exc
    table.columns = [str(c).strip() for c in table.columns]
    return table, enc


@dataclass
class JoinReport:
    """How a table joined a layer: rows of the table, features matched, the layer's keys the
    table lacks, the table's keys the layer lacks, and keys the table holds more than once."""

    table: str
    key: str
    on: str
    rows: int
    matched: int
    columns: list[str]
    missing_in_table: list[str] = field(default_factory=list)
    missing_in_layer: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    encoding: TextEncoding | None = None

    def lines(self) -> list[str]:
        """Return the report as English lines."""
        out = [
            f"{self.table}: {self.rows} row(s) joined on {self.on} = {self.key}: "
            f"{self.matched} feature(s) matched; columns {', '.join(self.columns)}"
        ]
        if self.missing_in_table:
            out.append(f"not in the table: {', '.join(self.missing_in_table[:20])}")
        if self.missing_in_layer:
            out.append(f"table rows with no feature: {', '.join(self.missing_in_layer[:20])}")
        return out


def join_table(
    gdf: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    on: str,
    key: str,
    columns: Sequence[str] | None = None,
    where: str = "table",
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Return ``gdf`` with the table's ``columns`` (default: all but ``key``) added where
    ``gdf[on]`` equals ``table[key]``, and the :class:`JoinReport`. Features without a row get
    empty values. Raises SchemaError for a missing field or column, a column the layer already
    has, or a key the table repeats (a join must not pick one row silently)."""
    if on not in gdf.columns:
        raise SchemaError(
            f"the layer has no field {on!r} to join on",
            where=where,
            hint="check the join's 'on'",
            msg=msg("error.table.no_join_field", field=on),
        )
    if key not in table.columns:
        raise SchemaError(
            f"has no column {key!r} (columns: {', '.join(table.columns)})",
            where=where,
            hint="name the key column as the table's header spells it",
            msg=msg("error.table.no_key", key=key, columns=[str(c) for c in table.columns]),
        )
    cols = list(columns) if columns is not None else [c for c in table.columns if c != key]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise SchemaError(
            f"has no column(s) {', '.join(missing)} (columns: {', '.join(table.columns)})",
            where=where,
            hint="name the columns as the table's header spells them",
            msg=msg("error.table.no_columns", missing=list(missing), columns=[str(c) for c in table.columns]),
        )
    clash = [c for c in cols if c in gdf.columns]
    if clash:
        raise SchemaError(
            f"column(s) {', '.join(clash)} are already fields of the layer",
            where=where,
            hint="map the layer's own field, or rename the column",
            msg=msg("error.table.clash", columns=list(clash)),
        )
    keys = table[key].map(key_text)
    counts = keys.value_counts()
    repeated = sorted(str(k) for k in counts[counts > 1].index)
    if repeated:
        raise SchemaError(
            f"key column {key!r} repeats {', '.join(repeated[:20])}",
            where=where,
            hint="keep one row per key",
            msg=msg("error.table.repeated_key", key=key, values=list(repeated[:20])),
        )
    right = table.assign(_key=keys).dropna(subset=["_key"]).set_index("_key")[cols]
    left = gdf[on].map(key_text)
    out = gdf.copy()
    for c in cols:
        out[c] = left.map(right[c]).to_numpy()
    layer_keys = set(left.dropna())
    report = JoinReport(
        table=where,
        key=key,
        on=on,
        rows=len(table),
        matched=int(left.isin(right.index).sum()),
        columns=cols,
        missing_in_table=sorted(str(k) for k in layer_keys - set(right.index)),
        missing_in_layer=sorted(str(k) for k in set(right.index) - layer_keys),
    )
    return out, report
