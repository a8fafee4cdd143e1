"""``parksite import`` from a zone's own files: ``--mapping``, ``--crs``, ``--encoding``, DEM
tiles (``--dem`` in a geographic CRS, ``--dem-resolution``) and ``--dry-run``.

:func:`wants_plan` says when an import goes this way (any of those options, a DXF or
Shapefile layer, or a DEM outside the zone's CRS); :func:`import_from_files` runs the dry run
(:func:`app.sources.dry_run.plan_import`), prints its report in the chosen language and, unless
it is a dry run, imports (:func:`app.sources.dry_run.run_import`). The plain import of a
GeoPackage laid out like the sample stays in :mod:`app.commands.db`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from app.sources.report import DryRunReport

console = Console(highlight=False)

_STYLE = {"error": "red", "warning": "yellow", "info": "", "heading": "bold"}
_MARK = {"error": "✗", "warning": "!", "info": "·"}


def wants_plan(
    *,
    dry_run: bool,
    mapping: Path | None,
    crs: str | None,
    encoding: str | None,
    dem_resolution: float | None,
    layer_files: dict[str, Path],
    dems: Sequence[Path],
    zone_crs: Callable[[], str],
) -> bool:
    """True when the import needs the dry-run path: one of its options, a layer file in a
    format the sample never uses (DXF, Shapefile), or a DEM outside the zone's CRS."""
    if dry_run or mapping or crs or encoding or dem_resolution:
        return True
    if any(p.suffix.lower() in (".dxf", ".shp") for p in layer_files.values()):
        return True
    if dems:
        from pyproj import CRS

        from gis.raster import open_geotiff

        target = CRS.from_user_input(zone_crs())
        for p in dems:
            with open_geotiff(p) as src:
                if CRS.from_wkt(src.crs.to_wkt()) != target:
                    return True
    return False


def print_report(report: DryRunReport, lang: str, out: Console = console) -> None:
    """Print the dry-run report section by section, errors red and warnings yellow."""
    for level, text in report.lines(lang):
        if level == "heading":
            out.print(f"[bold]{escape(text)}[/bold]")
        else:
            style = _STYLE[level]
            line = f"  {_MARK[level]} {escape(text)}"
            out.print(f"[{style}]{line}[/{style}]" if style else line, soft_wrap=True)


def import_from_files(
    factory_for: Callable[[], Any],
    *,
    zone_file: Path,
    mapping: Path | None,
    layers: Path | None,
    layer_files: dict[str, Path],
    dems: list[Path] | None,
    crs: str | None,
    encoding: str | None,
    dem_resolution: float | None,
    dem_folder: Path | None,
    dry_run: bool,
    replace: bool,
    user: str,
    lang: str,
    **import_options: Any,
) -> None:
    """Plan the import and print the report; import unless ``dry_run`` (exit 1 when the dry
    run found errors). ``factory_for`` returns a context manager yielding a session factory
    (opened only when writing); ``import_options`` go to :func:`app.db.importer.import_zone`
    (``drop_missing``, ``on_plan``)."""
    from app.sources.dry_run import ImportRequest, plan_import, run_import

    if lang not in ("zh", "en"):
        raise typer.BadParameter("--lang must be zh or en")
    plan = plan_import(
        ImportRequest(
            zone_file=zone_file,
            mapping_file=mapping,
            layers=layers,
            layer_files=layer_files,
            dems=dems,
            crs=crs,
            encoding=encoding,
            dem_resolution=dem_resolution,
            dem_folder=dem_folder,
        )
    )
    print_report(plan.report, lang)
    if dry_run:
        if not plan.report.ok:
            raise typer.Exit(1)
        return
    if not plan.report.ok:
        raise typer.Exit(1)
    with factory_for() as factory:
        result = run_import(factory, plan, replace=replace, user=user, **import_options)
    lines = result.lines()
    console.print(f"[green]OK[/green] {escape(lines[0])}")
    for line in lines[1:]:
        console.print(f"  {escape(line)}", soft_wrap=True)
