"""``parksite score PARCELS --out OUT``: measure and score a batch of parcels in a zone.

::

    parksite score PARCELS [--zone ZONE.yaml] [--layer NAME] [--id-field FIELD]
                   [--layers GPKG] [--dem DEM.tif …] --out OUT.gpkg|OUT.geojson|OUT.csv
                   [--sensitivity [--draws N] [--seed S]] [--batch-size N] [--map RESULT.html]
                   [--workers N] [--scheduler local|tcp://HOST:8786]

PARCELS is a GeoPackage, GeoJSON, Shapefile (plain or zipped, its text in UTF-8 or GBK:
declared, detected or ``--encoding``) or DXF drawing (closed polylines, ids from the labels
inside them; ``--dxf-layer``, ``--dxf-label-layer``, ``--dxf-label-pattern``,
``--dxf-attribute``), with a CRS — its own, else ``--crs`` (a file without one is refused with
the CRSs its coordinates fit) — reprojected to the zone CRS, invalid polygons repaired and
reported; ``--mapping`` reads it by a field mapping's ``parcels`` entry. ``--dem`` may be DEM
tiles in a geographic CRS: they are mosaicked and reprojected to the zone CRS
(``--dem-resolution``). Infrastructure layers come from the zone's GeoPackage
(``data.layers``) unless ``--layers`` is given, DEMs from the zone file unless ``--dem`` is.
Every input parcel comes out, scored or excluded with its reasons, with its measures (canonical
column names with units), ``value_*`` and ``contrib_*`` columns; ``--sensitivity`` adds the
rank stability columns ``oat_*`` and ``mc_*``. ``--map`` also writes one self-contained
interactive map (folium; no internet needed to open it): parcels by class, popups with the
score and breakdown, a legend, the hillshade (:mod:`app.exports.result_map`). The output is written under a temporary name
and renamed into place only on success, so a failed run leaves no file (or the old one).
``--scheduler`` measures the parcels by spatial partitions on Dask distributed — ``local`` (a
LocalCluster on this machine) or a running scheduler's address — each partition reading only
its DEM window (:mod:`scoring.distributed`); the result is the same table.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.commands.lang import LANG_HELP, current, error_line, set_lang
from app.commands.progress import progress_bar
from app.errors import exit_code_for
from app.i18n import render, text
from gis.errors import ParksiteError
from gis.messages import Message

if TYPE_CHECKING:  # scoring.batch loads geopandas, rasterio, scipy…: imported by the command
    from scoring.batch import ScoreSummary

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

#: ``--batch-size`` default: the value of :data:`scoring.batch.DEFAULT_BATCH_SIZE`, repeated
#: here so that building the CLI does not import the scoring run (tests/test_cli_startup.py
#: checks they agree).
DEFAULT_BATCH_SIZE: int = 20_000


def _zone_file(zone: Path | None) -> Path:
    if zone is not None:
        return zone
    from app.settings import get_settings

    return get_settings().zone_file


def print_summary(summary: ScoreSummary, out: Path, con: Console = console, lang: str = "zh") -> None:
    """Print counts per class, exclusions by reason, notes and time taken, in ``lang``."""
    con.print(escape(text("cli.score.parcels", lang, n=summary.n_parcels, out=str(out))), soft_wrap=True)
    table = Table()
    table.add_column(text("cli.score.class", lang))
    table.add_column(text("cli.score.count", lang), justify="right")
    for name, count in summary.by_class.items():
        table.add_row(summary.class_names_en.get(name, name) if lang == "en" else name, str(count))
    con.print(table)
    if summary.excluded_by_reason:
        reasons = ", ".join(f"{cid} {n}" for cid, n in summary.excluded_by_reason.items())
        con.print(escape(text("cli.score.excluded_by", lang, reasons=reasons)))
    con.print(escape(text("cli.score.eligible", lang, n=summary.n_eligible)))
    if summary.notes:
        con.print(text("cli.score.notes", lang))
        for note in summary.notes:
            con.print(f"  - {escape(render(note, lang))}", soft_wrap=True)
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in summary.steps.items())
    con.print(
        escape(
            text(
                "cli.score.time",
                lang,
                seconds=f"{summary.seconds:.2f}",
                rate=f"{summary.parcels_per_second:,.0f}",
                steps=steps,
            )
        ),
        soft_wrap=True,
    )


def register(cli: typer.Typer) -> None:
    """Add the ``score`` command to ``cli``."""

    @cli.command("score")
    def score(
        parcels: Path = typer.Argument(
            ..., help="parcels: GeoPackage, GeoJSON, Shapefile (.shp or zipped) or DXF"
        ),
        out: Path = typer.Option(..., "--out", help="output .gpkg (zone CRS), .geojson (WGS 84) or .csv"),
        zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
        layer: str = typer.Option(
            None, "--layer", help="layer of PARCELS to read (default: 'parcels' or the only one)"
        ),
        id_field: str = typer.Option(
            None, "--id-field", help="parcel id field (default: parcel_id, else row numbers)"
        ),
        layers: Path = typer.Option(
            None, "--layers", help="GeoPackage with the infrastructure layers (default: the zone's)"
        ),
        dem: list[Path] = typer.Option(
            None, "--dem", help="DEM GeoTIFF or tile (any CRS), repeatable (default: the zone's DEMs)"
        ),
        sensitivity: bool = typer.Option(
            False, "--sensitivity", help="add rank stability columns (one-at-a-time, Monte Carlo)"
        ),
        draws: int = typer.Option(
            1000, "--draws", min=1, help="Monte Carlo weight draws (with --sensitivity)"
        ),
        seed: int = typer.Option(0, "--seed", help="Monte Carlo seed (with --sensitivity)"),
        batch_size: int = typer.Option(
            DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="parcels measured per batch"
        ),
        workers: int = typer.Option(
            1, "--workers", min=1, help="processes measuring parcel batches in parallel"
        ),
        scheduler: str = typer.Option(
            None,
            "--scheduler",
            help="measure by spatial partitions on Dask: 'local' (a LocalCluster here; --workers "
            "sizes it) or a scheduler address tcp://HOST:8786; DEMs are read by windows",
        ),
        crs: str = typer.Option(
            None, "--crs", help="CRS of PARCELS when the file declares none, e.g. EPSG:4525 (DXF)"
        ),
        encoding: str = typer.Option(
            None, "--encoding", help="text encoding of a Shapefile or DXF (default: declared, else detected)"
        ),
        dxf_layer: list[str] = typer.Option(
            None, "--dxf-layer", help="DXF layer with the parcel outlines, repeatable (default: all)"
        ),
        dxf_label_layer: list[str] = typer.Option(
            None, "--dxf-label-layer", help="DXF layer with the parcel numbers (TEXT/MTEXT), repeatable"
        ),
        dxf_label_pattern: str = typer.Option(
            None, "--dxf-label-pattern", help="regular expression a parcel number matches, e.g. 'JC-\\d+'"
        ),
        dxf_attribute: str = typer.Option(
            None, "--dxf-attribute", help="block attribute tag holding the parcel number"
        ),
        mapping: Path = typer.Option(
            None, "--mapping", help="field-mapping YAML: PARCELS is read by its 'parcels' entry"
        ),
        dem_resolution: float = typer.Option(
            None, "--dem-resolution", help="cell size (m) DEMs outside the zone CRS are reprojected to"
        ),
        result_map: Path = typer.Option(
            None, "--map", help="also write a self-contained interactive map (.html) of the result"
        ),
        lang: str = typer.Option(None, "--lang", help=LANG_HELP),
    ) -> None:
        """地块评分 Measure and score parcels: slope, earthwork, access, network, exclusions → score 0–100."""
        from app.scoring_io.parcel_files import output_format, write_scored_parcels
        from app.scoring_io.runs import score_file
        from gis.dxf import DxfOptions

        dxf = None
        if dxf_layer or dxf_label_layer or dxf_label_pattern or dxf_attribute:
            dxf = DxfOptions(
                tuple(dxf_layer or ()), tuple(dxf_label_layer or ()), dxf_label_pattern, dxf_attribute
            )

        lang = set_lang(lang) if lang else current()
        try:
            output_format(out)  # refuse an unknown format before any work
            if result_map is not None and result_map.suffix.lower() not in (".html", ".htm"):
                err_console.print(escape(text("cli.score.map_not_html", lang, name=result_map.name)))
                raise typer.Exit(2)
            contexts: list = []
            with progress_bar(err_console) as bar:
                task = bar.add_task(text("cli.score.reading", lang), total=None)

                def progress(step: Message, done: int, total: int) -> None:
                    bar.update(task, description=render(step, lang), completed=done, total=total)

                run = score_file(
                    parcels,
                    _zone_file(zone),
                    layer=layer,
                    id_field=id_field,
                    layers_path=layers,
                    dem_paths=dem or None,
                    batch_size=batch_size,
                    workers=workers,
                    sensitivity=sensitivity,
                    n_draws=draws,
                    seed=seed,
                    progress=progress,
                    crs=crs,
                    encoding=encoding,
                    dxf=dxf,
                    mapping=mapping,
                    dem_resolution=dem_resolution,
                    context_out=contexts,
                    scheduler=scheduler,
                )
                bar.update(task, description=text("cli.score.writing", lang, name=out.name))
                t0 = time.perf_counter()
                write_scored_parcels(run.parcels, out)
                if result_map is not None:
                    from app.exports.result_map import write_result_map

                    zone_cfg = contexts[0].zone
                    dems = [s.dem for s in contexts[0].surfaces]
                    write_result_map(run.parcels, zone_cfg, result_map, dems=dems, lang=lang)
                run.summary.steps["write"] = time.perf_counter() - t0
                run.summary.seconds += run.summary.steps["write"]
        except ParksiteError as exc:
            err_console.print(f"[red]{escape(error_line(exc, lang))}[/red]", soft_wrap=True)
            raise typer.Exit(exit_code_for(exc)) from exc
        console.print(f"[green]OK[/green] {escape(str(out))}")
        if result_map is not None:
            console.print(f"[green]OK[/green] {escape(str(result_map))}")
        print_summary(run.summary, out, lang=lang)
