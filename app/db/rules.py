"""A zone's rules as the database holds them now: the zone file's rules with the database's clusters.

The zone file (``ZoneRow.config``) lists each park's clusters and the industries they admit (表8-1);
planners then draw, change and delete clusters on the map. :func:`zone_rules` builds the rules
that the admission check, the recommendation and the 标准地 sheets use: the zone file's positive
list, admission rows and scoring, and for each park the clusters *in the database* — those of the
zone file in its order, then the ones drawn on the map by code — each with its kind, names,
directions and ``admits`` as stored now. A cluster of the zone file that was deleted on the map
is no longer in the rules.

A cluster whose ``admits`` is null (drawn on the map without them) admits nothing yet: its rule
keeps ``admits=None`` (``scoring.zone.Cluster.admits_unset``), and the admission check itself
says "review" — "admits nothing yet" — for a project on the positive list there
(``scoring.admission``), not "fail" and not an error.

``admits`` written by an edit is checked against the zone file's positive list
(:func:`check_admits`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ClusterRow, ParkRow, ZoneRow
from gis.errors import ConfigError, NotFoundError, SchemaError
from gis.messages import joined, msg
from scoring.citations import ADMITS_EDITED, DRAWN_ON_MAP
from scoring.zone import Admit, ZoneConfig, parse_zone
from scoring.zone import Cluster as ClusterRule

#: ``source`` of a cluster drawn on the map (it is in no table of the plan; shown by its message).
DRAWN_SOURCE = DRAWN_ON_MAP
#: Added to the ``source`` of a zone-file cluster whose admitted industries were edited.
EDITED_SOURCE = ADMITS_EDITED

_CONFIG_CACHE: dict[tuple[str, str], ZoneConfig] = {}
_CONFIG_LOCK = threading.Lock()


def stored_config(zone: ZoneRow) -> ZoneConfig:
    """Return the zone file's rules as imported (validated once per rules hash)."""
    key = (zone.id, zone.config_sha256)
    with _CONFIG_LOCK:
        hit = _CONFIG_CACHE.get(key)
    if hit is None:
        hit = parse_zone(zone.config, path=f"database zone {zone.id}")
        with _CONFIG_LOCK:
            _CONFIG_CACHE[key] = hit
    return hit


def _zone(session: Session, zone_id: str) -> ZoneRow:
    zone = session.get(ZoneRow, zone_id)
    if zone is None:
        raise NotFoundError(
            f"no zone {zone_id!r} in the database",
            hint="import it with `parksite import --zone FILE`",
            msg=msg("error.zone.not_found", zone=zone_id),
        )
    return zone


def check_admits(cfg: ZoneConfig, admits: Any, *, where: str) -> list[dict[str, Any]] | None:
    """Return ``admits`` checked and normalised (``[{industry, branches}]``), None for None.

    Each entry names an industry (产业大类) of the positive list and, optionally, some of its
    二级产业方向 (``branches``; null: all). Raises ``SchemaError`` naming the entry otherwise.
    """
    if admits is None:
        return None
    if not isinstance(admits, list):
        raise SchemaError(
            "admits must be a list of {industry, branches}",
            where=f"{where}: admits",
            hint='e.g. [{"industry": "铝镁新材料", "branches": ["铝基新材料"]}]',
            msg=msg("error.admits.not_list"),
        )
    out = []
    for i, item in enumerate(admits):
        at = f"{where}: admits.{i}"
        try:
            adm = Admit.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise SchemaError(
                f"not an admitted industry ({problems})",
                where=at,
                hint='give {"industry": …, "branches": […] or null}',
                msg=msg("error.admits.item", problems=problems),
            ) from None
        if cfg.is_catch_all(adm.industry) and adm.encouraged and not adm.branches:
            out.append(adm.stored())  # the catch-all, by 表8-1's words (3D打印 …)
            continue
        ind = cfg.find_industry(adm.industry)
        if ind is None:
            names = ", ".join(x.name for x in cfg.positive_list.industries)
            raise SchemaError(
                f"{adm.industry!r} is not an industry of the positive list",
                where=at,
                hint=f"industries: {names}",
                msg=msg("error.admits.industry", industry=adm.industry, industries=names),
            )
        bad = [b for b in adm.branches or [] if ind.branch(b) is None]
        if bad:
            raise SchemaError(
                f"{', '.join(map(repr, bad))} is not a 二级产业方向 of {ind.name}",
                where=at,
                hint=f"branches: {', '.join(b.name for b in ind.branches)}",
                msg=msg(
                    "error.admits.branch",
                    branches=joined(bad),
                    industry=ind.name,
                    listed=joined([b.name for b in ind.branches]),
                ),
            )
        out.append(adm.stored())
    return out


@dataclass(frozen=True)
class ZoneRules:
    """A zone's rules now: ``config``, the zone file's rules with the clusters as stored (the
    admission check, the recommendation and the 标准地 sheets run on it)."""

    config: ZoneConfig

    def cluster(self, code: str | None) -> ClusterRule | None:
        """Return the rule of cluster ``code`` (None for None or an unknown code)."""
        return next((c for _, c in self.config.clusters() if c.id == code), None)


def zone_rules(session: Session, zone_id: str) -> ZoneRules:
    """Return the zone's rules with the clusters of the database (see the module docstring).

    Raises NotFoundError for an unknown zone, ConfigError when a stored cluster cannot be a rule
    (its code or admitted industries no longer fit the zone file).
    """
    zone = _zone(session, zone_id)
    base = stored_config(zone)
    from_file = {c.id: c for _, c in base.clusters()}
    order = {c.id: i for i, (_, c) in enumerate(base.clusters())}
    rows = session.execute(
        select(ClusterRow, ParkRow.code)
        .join(ParkRow, ParkRow.id == ClusterRow.park_id)
        .where(ClusterRow.zone_id == zone_id)
    ).all()
    rows = sorted(rows, key=lambda r: (order.get(r[0].code, len(order)), r[0].code))
    clusters: dict[str, list[ClusterRule]] = {p.id: [] for p in base.parks}
    for c, park_code in rows:
        clusters.setdefault(park_code, []).append(_rule(base, c, from_file.get(c.code)))
    # model_copy: a park whose clusters were all deleted stays a park (no re-validation)
    parks = [p.model_copy(update={"clusters": clusters.get(p.id, [])}) for p in base.parks]
    return ZoneRules(config=base.model_copy(update={"parks": parks}))


def _rule(cfg: ZoneConfig, c: ClusterRow, in_file: ClusterRule | None) -> ClusterRule:
    """Return the 表8-1 rule of a stored cluster (the zone file's source and planned area kept)."""
    where = f"cluster {c.code}"
    admits = check_admits(cfg, c.admits, where=where)  # None: not set yet
    source = DRAWN_SOURCE
    if in_file is not None:
        source = in_file.source
        if admits != [a.stored() for a in in_file.admits or []]:
            source = f"{source}; {EDITED_SOURCE}"
    try:
        return ClusterRule.model_validate(
            {
                "id": c.code,
                "name": c.name,
                "name_en": c.name_en or c.name,
                "kind": c.kind,
                "area_mu": None if in_file is None else in_file.area_mu,
                "directions": c.directions or "",
                "admits": admits,
                "admits_encouraged_under_review": bool(c.admits_encouraged_under_review),
                "source": source,
            }
        )
    except ValidationError as exc:
        raise ConfigError(
            f"the stored cluster cannot be used as a rule: {exc.errors()[0]['msg']}",
            where=where,
            hint="edit the cluster (PUT /api/v1/clusters/…)",
            msg=msg("error.admits.stored", detail=str(exc.errors()[0]["msg"])),
        ) from None
