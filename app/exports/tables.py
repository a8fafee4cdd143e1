"""The two tables a zone office files — parcel scores and project verdicts — and their CSV files.

CSV files are UTF-8 **with a byte-order mark** (``utf-8-sig``) so Excel opens Chinese text
correctly, comma-separated, one header row (Chinese with units, or the column keys with
``headers="en"``). Numbers are written as they are stored (areas in m² and 亩, money in 万元).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pandas as pd

from app.exports.data import ZoneData
from app.exports.labels import CHECK_HEADERS, SCORE_HEADERS, STATUS_LABELS, VERDICT_LABELS, YES_NO

Headers = Literal["zh", "en"]
Table = Literal["scores", "verdicts"]


@contextmanager
def atomic_path(out: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; it replaces ``out`` only when the block succeeds."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def score_rows(data: ZoneData) -> pd.DataFrame:
    """Return one row per parcel (by parcel_id) with the columns of ``SCORE_HEADERS`` and ``park``."""
    s = data.scores.sort_values("parcel_id")
    out = pd.DataFrame(
        {
            "parcel_id": s["parcel_id"],
            "park": s["park"],
            "park_name": s["park"].map(data.park_names).fillna(s["park"]),
            "cluster_name": s["cluster"].map(data.cluster_names).fillna(s["cluster"]),
            "status_label": s["status"].map(STATUS_LABELS).fillna(s["status"]),
            "land_use": s["land_use"],
            "area_mu": s["area_mu"].astype(float),
            "area_m2": s["area_m2"].astype(float),
            "enterprise": s["enterprise"],
            "score": s["score"],
            "score_class": s["score_class"],
            "excluded_label": s["excluded"].map(lambda v: None if pd.isna(v) else YES_NO[bool(v)]),
            "reasons": s["reasons"],
            "investment_wan_per_mu": s["investment_wan_per_mu"],
            "output_wan_per_mu": s["output_wan_per_mu"],
            "tax_wan_per_mu": s["tax_wan_per_mu"],
            "figures_year": s["figures_year"].astype("Int64"),
        }
    )
    return out.reset_index(drop=True)


def check_rows(data: ZoneData) -> pd.DataFrame:
    """Return one row per recorded check (project × parcel) with the columns of ``CHECK_HEADERS``."""
    c = data.checks.copy()
    c["park_name"] = c["park"].map(data.park_names).fillna(c["park"])
    c["verdict_label"] = c["verdict"].map(VERDICT_LABELS).fillna(c["verdict"])
    c["checked_at"] = c["checked_at"].map(
        lambda t: None if t is None or pd.isna(t) else t.strftime("%Y-%m-%d %H:%M:%S")
    )
    return c.reset_index(drop=True)


def labelled(df: pd.DataFrame, headers: dict[str, str], lang: Headers = "zh") -> pd.DataFrame:
    """Return ``df``'s columns listed in ``headers``, renamed to the Chinese headers for "zh"."""
    out = df[list(headers)]
    return out.rename(columns=headers) if lang == "zh" else out


def write_csv(data: ZoneData, out: str | Path, *, table: Table = "scores", headers: Headers = "zh") -> Path:
    """Write the parcel scores (``table="scores"``) or the project verdicts (``"verdicts"``) as a
    UTF-8-with-BOM CSV file at ``out``; return its path."""
    if table == "scores":
        df = labelled(score_rows(data), SCORE_HEADERS, headers)
    elif table == "verdicts":
        df = labelled(check_rows(data), CHECK_HEADERS, headers)
    else:
        raise ValueError(f"unknown table {table!r}")
    with atomic_path(out) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(out)
