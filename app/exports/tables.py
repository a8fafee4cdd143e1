"""The two tables a zone office files — parcel scores and project verdicts — and their CSV files.

CSV files are UTF-8 **with a byte-order mark** (``utf-8-sig``) so Excel opens Chinese text
correctly, comma-separated, one header row. Headers and values are in one language (Chinese, or
English with ``headers="en"``: names, statuses, land uses, classes, yes/no, reasons, verdicts);
numbers are rounded for people (areas to 0.01 亩 and 0.01 m², money to 0.01 万元).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from app.exports.data import ZoneData
from app.exports.labels import CHECK_HEADERS, LAND_USE_IDS, ROUNDING, SCORE_HEADERS
from app.i18n import render, text
from gis.messages import Message, from_dict, joined, msg
from scoring.admission import RULES
from scoring.rulebook import STATUS_IDS
from scoring.site import PARCEL_STATUS_IDS
from scoring.suitability import EXCLUDED_CLASS, EXCLUDED_CLASS_EN

Lang = Literal["zh", "en"]
#: Kept for callers that name the language of the headers so.
Headers = Lang
Table = Literal["scores", "verdicts"]
#: A check's verdict as message ids.
VERDICT_IDS = STATUS_IDS
#: The admission rules' ids and the message ids of their short names (``rule.<id>``).
RULE_LABELS = {r.id: r.label for r in RULES}


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


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with the columns of :data:`ROUNDING` rounded for people (0.01 亩, 0.01 万元)."""
    out = df.copy()
    for col, nd in ROUNDING.items():
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(nd)
    return out


def _shown(value: Any, lang: Lang) -> Any:
    """Return a message id or message rendered in ``lang`` (None and other values as they are)."""
    if value is None or (not isinstance(value, str | Message) and pd.isna(value)):
        return None
    return render(value, lang) if isinstance(value, Message) else value


def score_rows(data: ZoneData, lang: Lang = "zh") -> pd.DataFrame:
    """Return one row per parcel (by parcel_id) with the columns of ``SCORE_HEADERS`` and ``park``:
    names, status, land use, class, yes/no and reasons in ``lang``; figures rounded for people."""
    s = data.scores.sort_values("parcel_id")
    en = lang == "en"
    park_names = {**data.park_names, **(data.park_names_en if en else {})}
    cluster_names = {**data.cluster_names, **(data.cluster_names_en if en else {})}
    status = s["status"].map(
        lambda v: _shown(msg(PARCEL_STATUS_IDS[v]) if v in PARCEL_STATUS_IDS else v, lang)
    )
    land_use = s["land_use"].map(lambda v: _shown(msg(LAND_USE_IDS[v]) if v in LAND_USE_IDS else v, lang))
    classes = {**data.class_names_en, EXCLUDED_CLASS: EXCLUDED_CLASS_EN} if en else {}
    reasons = s["reasons_en"] if en and "reasons_en" in s.columns else s["reasons"]
    if en:  # the English reasons are "; "-joined, the Chinese ones "；"-joined
        reasons = reasons.map(lambda v: v.replace("；", "; ") if isinstance(v, str) else v)
    out = pd.DataFrame(
        {
            "parcel_id": s["parcel_id"],
            "park": s["park"],
            "status": s["status"],
            "park_name": s["park"].map(park_names).fillna(s["park"]),
            "cluster_name": s["cluster"].map(cluster_names).fillna(s["cluster"]),
            "status_label": status,
            "land_use": land_use,
            "area_mu": s["area_mu"].astype(float),
            "area_m2": s["area_m2"].astype(float),
            "enterprise": s["enterprise"],
            "score": s["score"],
            "score_class": s["score_class"].map(lambda v: classes.get(v, v) if isinstance(v, str) else v),
            "excluded_label": s["excluded"].map(
                lambda v: None if pd.isna(v) else text("common.yes" if bool(v) else "common.no", lang)
            ),
            "reasons": reasons,
            "investment_wan_per_mu": s["investment_wan_per_mu"],
            "output_wan_per_mu": s["output_wan_per_mu"],
            "tax_wan_per_mu": s["tax_wan_per_mu"],
            "figures_year": s["figures_year"].astype("Int64"),
        }
    )
    return _rounded(out.reset_index(drop=True))


def rules_text(rules: Any, lang: Lang) -> str | None:
    """Return recorded rule outcomes (stored as messages, or as text by older checks) as one line:
    "rule: message" joined with the language's semicolon; None for none."""
    if not isinstance(rules, list) or not rules:
        return None
    items = []
    for r in rules:
        r = from_dict(r)
        rule = str(r.get("rule"))
        label = text(RULE_LABELS[rule], lang) if rule in RULE_LABELS else rule
        items.append(msg("export.rule_item", rule=label, message=r.get("message") or ""))
    return render(joined(items, "semicolon"), lang)


def check_rows(data: ZoneData, lang: Lang = "zh") -> pd.DataFrame:
    """Return one row per recorded check (project × parcel) with the columns of ``CHECK_HEADERS``,
    texts in ``lang``, figures rounded for people."""
    c = data.checks.copy()
    park_names = {**data.park_names, **(data.park_names_en if lang == "en" else {})}
    c["park_name"] = c["park"].map(park_names).fillna(c["park"])
    c["verdict_label"] = c["verdict"].map(lambda v: text(VERDICT_IDS[v], lang) if v in VERDICT_IDS else v)
    c["failed_rules"] = c["failed_rules"].map(lambda r: rules_text(r, lang))
    c["needs_data_rules"] = c["needs_data_rules"].map(lambda r: rules_text(r, lang))
    c["review_rules"] = c["review_rules"].map(lambda r: rules_text(r, lang))
    c["checked_at"] = c["checked_at"].map(
        lambda t: None if t is None or pd.isna(t) else t.strftime("%Y-%m-%d %H:%M:%S")
    )
    return _rounded(c.reset_index(drop=True))


def labelled(df: pd.DataFrame, headers: dict[str, str], lang: Lang = "zh") -> pd.DataFrame:
    """Return ``df``'s columns listed in ``headers``, renamed to their headers in ``lang``."""
    return df[list(headers)].rename(columns={k: text(v, lang) for k, v in headers.items()})


def write_csv(data: ZoneData, out: str | Path, *, table: Table = "scores", headers: Lang = "zh") -> Path:
    """Write the parcel scores (``table="scores"``) or the project verdicts (``"verdicts"``) as a
    UTF-8-with-BOM CSV file at ``out``, headers and values in the language ``headers``; return
    its path."""
    if table == "scores":
        df = labelled(score_rows(data, headers), SCORE_HEADERS, headers)
    elif table == "verdicts":
        df = labelled(check_rows(data, headers), CHECK_HEADERS, headers)
    else:
        raise ValueError(f"unknown table {table!r}")
    with atomic_path(out) as tmp:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(out)
