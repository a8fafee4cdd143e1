"""``parksite cluster reshape|split|merge``: topological edits of clusters (组团) from the command
line, for scripted changes after a plan revision.

The same database and the same functions as the API (``PUT /clusters/{id}?neighbours=yield``,
``POST /clusters/{id}/split``, ``/merge``): ``--database-url`` (default
``PARKSITE_DATABASE_URL``, else the SpatiaLite file in the state directory); one transaction per
command, audited under ``cli:<login>``. Geometries come from GeoJSON files (a geometry, a Feature
or a FeatureCollection of one feature) in WGS 84 unless the file's ``crs`` member or ``--crs``
says otherwise (e.g. ``--crs EPSG:4546`` for the zone's own coordinates). Without ``--if-match``
the edit acts on the clusters as they are when it runs; with it, a cluster involved that changed
since is refused (exit code 10). What changed is printed in the user's language (``--lang``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from app.commands.db import DatabaseUrl, _cli_user, _ready_engine
from app.commands.lang import LANG_HELP, current, set_lang
from app.i18n import render, text
from app.settings import Settings
from gis.errors import InputFileError
from gis.messages import Name, msg
from gis.units import MU_M2

cluster_app = typer.Typer(
    help="组团 Cluster edits that change several clusters at once: reshape (neighbours yield), split, merge.",
    no_args_is_help=True,
)

CrsOption = typer.Option(
    None, "--crs", help="CRS of the file's coordinates when it declares none (default WGS 84), e.g. EPSG:4546"
)
IfMatchOption = typer.Option(
    None,
    "--if-match",
    help='ETag of a cluster as you read it, e.g. "sc-almg-v3" (repeat for each cluster involved); '
    "default: the clusters as they are",
)
JsonOption = typer.Option(False, "--json", help="print what changed as JSON")
LangOption = typer.Option(None, "--lang", help=LANG_HELP)


def read_geojson(path: Path, crs: str | None, *, max_vertices: int, zone_crs: str, where: str) -> Any:
    """Return the one geometry of a GeoJSON file in the zone CRS (file's ``crs`` member, else
    ``crs``, else WGS 84). InputFileError for a missing or unreadable file or not exactly one
    feature."""
    from app.api.geojson import geometry_from_request, request_crs

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(
            f"cannot read {path} as GeoJSON ({exc})",
            where=str(path),
            msg=msg("error.file.unreadable", format="GeoJSON", detail=str(exc)),
        ) from exc
    member = data.get("crs") if isinstance(data, dict) else None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        feats = data.get("features") or []
        if len(feats) != 1:
            raise InputFileError(
                f"{path} holds {len(feats)} features, not one",
                where=str(path),
                msg=msg("error.cli.cluster.one_feature", path=str(path), n=len(feats)),
            )
        data = feats[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    declared = request_crs(None, member, where=f"{path}: crs") if member is not None else None
    declared = declared or (request_crs(crs, where="--crs") if crs else None)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "crs"}
    return geometry_from_request(data, zone_crs, max_vertices=max_vertices, where=where, crs=declared)


def _versions(session: Any, zone_id: str, tags: list[str] | None) -> dict[str, int]:
    from app.api.etags import tag_versions
    from app.db.cluster_topology import current_versions

    return current_versions(session, zone_id) | tag_versions(", ".join(tags or []))


def report(edit: Any, lang: str) -> list[str]:
    """Return what an edit changed as lines in ``lang``: each cluster written (version, area in m²
    and 亩) or deleted, each parcel that changed cluster, land left unassigned."""
    from app.db import notes

    lines = []
    for r in [*edit.written, *edit.deleted]:
        state = r.state or {}
        shown = Name(state.get("name") or r.key, state.get("name_en") or state.get("name") or r.key)
        if r.action == "delete":
            lines.append(text("cli.cluster.deleted", lang, cluster=render(shown, lang), id=r.key))
            continue
        lines.append(
            text(
                "cli.cluster.written",
                lang,
                cluster=render(shown, lang),
                id=r.key,
                version=r.version,
                area=render(notes.area(state.get("area_m2") or 0.0), lang),
            )
        )
    for pid, old, new in edit.reassigned:
        lines.append(text("cli.cluster.parcel", lang, parcel=pid, old=old or "—", new=new or "—"))
    if edit.unassigned_m2 > 0:
        lines.append(text("cli.cluster.unassigned", lang, area=render(notes.area(edit.unassigned_m2), lang)))
    return lines


def _print(edit: Any, as_json: bool, lang: str) -> None:
    if as_json:
        from app.api.cluster_writes import changed_cluster, reassigned_list

        out = {
            "clusters": [changed_cluster(r) for r in [*edit.written, *edit.deleted]],
            "reassigned": reassigned_list(edit.reassigned),
            "unassigned_m2": round(edit.unassigned_m2, 2),
            "unassigned_mu": round(edit.unassigned_m2 / MU_M2, 4),
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for line in report(edit, lang):
        typer.echo(line)


def _run(database_url: str | None, work: Any) -> Any:
    """Run ``work(session, zone)`` in one write transaction; return what it returns."""
    from app.api.store import served_zone
    from app.db.engine import session_factory, transaction

    engine = _ready_engine(database_url)
    try:
        with transaction(session_factory(engine)) as s:
            return work(s, served_zone(s, Settings()))
    finally:
        engine.dispose()


@cluster_app.command("reshape")
def cluster_reshape(
    cluster_id: str = typer.Argument(..., help="the cluster's id, e.g. sc-almg"),
    outline: Path = typer.Argument(..., help="GeoJSON file with its new outline (Polygon/MultiPolygon)"),
    neighbours_yield: bool = typer.Option(
        False,
        "--yield",
        help="neighbours give up what the outline covers; land it frees goes to the neighbour across "
        "the moved edge or stays unassigned (default: an outline over another cluster is refused)",
    ),
    crs: str | None = CrsOption,
    if_match: list[str] | None = IfMatchOption,
    as_json: bool = JsonOption,
    lang: str | None = LangOption,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Give a cluster a new outline (with --yield its neighbours yield), as one audited transaction."""
    from app.api.store import find_cluster
    from app.db.cluster_edits import update_cluster
    from app.db.cluster_topology import TopologyEdit, reshape_cluster

    lang = set_lang(lang) if lang else current()
    settings = Settings()

    def work(s: Any, zone: Any) -> Any:
        c, _, _ = find_cluster(s, zone.id, cluster_id)
        geom = read_geojson(
            outline, crs, max_vertices=settings.max_vertices, zone_crs=zone.crs, where=str(outline)
        )
        versions = _versions(s, zone.id, if_match)
        user = _cli_user(None)
        if neighbours_yield:
            return reshape_cluster(s, c.id, {"geometry": geom}, versions, user)
        return TopologyEdit(written=[update_cluster(s, c.id, {"geometry": geom}, versions[c.code], user)])

    _print(_run(database_url, work), as_json, lang)


def _parts(part: list[str] | None, parts_file: Path | None) -> list[dict[str, Any]]:
    if parts_file is not None:
        data = json.loads(parts_file.read_text(encoding="utf-8"))
        return [dict(p) for p in data]
    out = []
    for spec in part or []:
        code, _, name = spec.partition("=")
        out.append({"cluster_id": code.strip()} | ({"name": name.strip()} if name.strip() else {}))
    return out


@cluster_app.command("split")
def cluster_split(
    cluster_id: str = typer.Argument(..., help="the cluster's id"),
    line: Path = typer.Argument(..., help="GeoJSON file with the line drawn across the cluster (LineString)"),
    part: list[str] | None = typer.Option(
        None,
        "--part",
        help="ID=NAME of a part, twice: first the part left of the line as drawn, then the right one; "
        "the cluster's own id keeps its history",
    ),
    parts_file: Path | None = typer.Option(
        None, "--parts", help="JSON file: the two parts as the API takes them (cluster_id, name, admits, …)"
    ),
    crs: str | None = CrsOption,
    if_match: list[str] | None = IfMatchOption,
    as_json: bool = JsonOption,
    lang: str | None = LangOption,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Split a cluster along a line into two clusters (areas add up; parcels follow)."""
    from app.api.store import find_cluster
    from app.db.cluster_split_merge import split_cluster

    lang = set_lang(lang) if lang else current()
    settings = Settings()
    parts = _parts(part, parts_file)

    def work(s: Any, zone: Any) -> Any:
        c, _, _ = find_cluster(s, zone.id, cluster_id)
        geom = read_geojson(line, crs, max_vertices=settings.max_vertices, zone_crs=zone.crs, where=str(line))
        versions = _versions(s, zone.id, if_match)
        return split_cluster(s, c.id, geom, parts, versions[c.code], _cli_user(None))

    _print(_run(database_url, work), as_json, lang)


@cluster_app.command("merge")
def cluster_merge(
    cluster_id: str = typer.Argument(..., help="the cluster that stays (gets both outlines)"),
    other: str = typer.Argument(..., help="the neighbouring cluster of the same park merged into it"),
    name: str | None = typer.Option(None, "--name", help="the merged cluster's name (default: its own)"),
    name_en: str | None = typer.Option(None, "--name-en", help="its English name"),
    if_match: list[str] | None = IfMatchOption,
    as_json: bool = JsonOption,
    lang: str | None = LangOption,
    database_url: str | None = DatabaseUrl,
) -> None:
    """Merge two neighbouring clusters of one park: the second is deleted, its parcels move."""
    from app.api.store import find_cluster
    from app.db.cluster_split_merge import merge_clusters

    lang = set_lang(lang) if lang else current()
    fields = {k: v for k, v in (("name", name), ("name_en", name_en)) if v is not None}

    def work(s: Any, zone: Any) -> Any:
        a, _, _ = find_cluster(s, zone.id, cluster_id)
        b, _, _ = find_cluster(s, zone.id, other)
        return merge_clusters(s, a.id, b.id, _versions(s, zone.id, if_match), fields, _cli_user(None))

    _print(_run(database_url, work), as_json, lang)


def register(cli: typer.Typer) -> None:
    """Add ``cluster`` to the parksite CLI."""
    cli.add_typer(cluster_app, name="cluster")
