"""An attribute taken from the polygons of another layer that cover most of each feature.

A parcel plan says where parcels are; the land survey (三调 DLTB) says what the land is today.
:func:`majority_values` gives each target polygon the value of ``field`` of the source
polygons covering the largest part of it (areas summed per value), with that value's share of
the target's area — so a parcel that is 70 % 工业用地 (0601) and 30 % 旱地 (0103) gets 0601, 0.7.
Both layers in the same metric CRS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from gis.tables import key_text


def majority_values(
    targets: Sequence[Any] | np.ndarray, sources: Sequence[Any] | np.ndarray, values: Sequence[Any]
) -> tuple[list[str | None], np.ndarray]:
    """Return, per target polygon, the source value covering most of it (None where no source
    polygon overlaps it) and the share (0–1) of its area that value covers."""
    tgt = np.asarray(list(targets), dtype=object)
    src = np.asarray(list(sources), dtype=object)
    keys = [key_text(v) for v in values]
    best: list[str | None] = [None] * len(tgt)
    share = np.zeros(len(tgt))
    if not len(tgt) or not len(src):
        return best, share
    tree = shapely.STRtree(src)
    t_idx, s_idx = tree.query(tgt, predicate="intersects")
    areas = shapely.area(shapely.intersection(tgt[t_idx], src[s_idx]))
    totals: dict[int, dict[str | None, float]] = {}
    for t, s, a in zip(t_idx.tolist(), s_idx.tolist(), areas.tolist()):
        if a > 0:
            by_value = totals.setdefault(t, {})
            by_value[keys[s]] = by_value.get(keys[s], 0.0) + a
    own = shapely.area(tgt)
    for t, by_value in totals.items():
        value, area = max(by_value.items(), key=lambda kv: kv[1])
        best[t] = value
        share[t] = area / own[t] if own[t] > 0 else 0.0
    return best, share
