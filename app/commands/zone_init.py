"""``parksite zone init``: write a new zone file from the zone's own layers.

::

    parksite zone init OUT.yaml --id ID --name NAME --name-en NAME_EN
        [--mapping MAPPING.yaml | --layers GPKG | --layer NAME=FILE …]
        [--crs EPSG:…] [--encoding GBK] [--dem TILE.tif …] [--dem-resolution M]
        [--zone-crs EPSG:…] [--province shanxi] [--force]

Parks and clusters come from the layers; the rules are the province's defaults to edit
(:mod:`app.sources.zone_init`).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False)


def init(
    out: Path = typer.Argument(..., help="the zone file to write (YAML)", dir_okay=False),
    zone_id: str = typer.Option(..., "--id", help="zone id: lower-case letters, digits, - and _"),
    name: str = typer.Option(..., "--name", help="the zone's name, e.g. 交城经济开发区"),
    name_en: str = typer.Option(..., "--name-en", help="the zone's English name"),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="field-mapping YAML naming the layers' files"
    ),
    layers: Path | None = typer.Option(None, "--layers", help="GeoPackage with layers in parksite's schema"),
    layer: list[str] = typer.Option([], "--layer", help="one layer from its own file: NAME=FILE; repeatable"),
    crs: str | None = typer.Option(None, "--crs", help="CRS of files that declare none, e.g. EPSG:4525"),
    encoding: str | None = typer.Option(None, "--encoding", help="text encoding of Shapefiles, DXF, CSV"),
    dem: list[Path] = typer.Option([], "--dem", help="DEM GeoTIFF or tile (any CRS); repeatable"),
    dem_resolution: float | None = typer.Option(
        None, "--dem-resolution", help="cell size (m) DEMs outside the zone CRS are reprojected to"
    ),
    zone_crs: str | None = typer.Option(
        None,
        "--zone-crs",
        help="the zone's computation CRS (default: CGCS2000 3-degree GK nearest the parks)",
    ),
    province: str = typer.Option(
        "shanxi", "--province", help="template of default rules (data/zones/templates)"
    ),
    source: str | None = typer.Option(None, "--source", help="where the zone's facts come from"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """新建区域 Write a new zone file from the zone's layers, with the province's default rules to edit.

    Parks and clusters come from the layers; the layers (GeoPackage) and DEMs are written in
    the zone CRS beside the zone file."""
    from app.commands.db import _layer_files
    from app.sources.dry_run import ImportRequest
    from app.sources.zone_init import init_zone

    result = init_zone(
        ImportRequest(
            zone_file=out,
            mapping_file=mapping,
            layers=layers,
            layer_files=_layer_files(layer),
            dems=list(dem),
            crs=crs,
            encoding=encoding,
            dem_resolution=dem_resolution,
        ),
        zone_id=zone_id,
        name=name,
        name_en=name_en,
        zone_crs=zone_crs,
        province=province,
        source=source,
        overwrite=force,
    )
    counts = ", ".join(f"{n} {k}" for n, k in result.counts.items())
    console.print(f"[green]OK[/green] {escape(str(result.zone_file))}: {zone_id}, CRS {result.crs}; {counts}")
    console.print(f"  layers → {escape(str(result.layers))}")
    for d in result.dems:
        console.print(f"  DEM → {escape(str(d))}")
    for note in result.notes:
        console.print(f"  - {escape(note)}", soft_wrap=True)
    console.print(
        "  next: edit the rules (admission, positive list, clusters' admits), then "
        f"`parksite zone validate {escape(str(out))}` and `parksite import --zone {escape(str(out))} --dry-run`"
    )


def register(cli: typer.Typer) -> None:
    """Add ``init`` to the ``zone`` command group."""
    from app.commands.zone import zone_app

    zone_app.command("init")(init)
