"""``parksite slope DEM OUT.tif``: write a slope GeoTIFF (Horn's method, as ``gdaldem slope``)."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from app.commands.lang import error_line
from app.errors import exit_code_for
from gis.errors import ParksiteError

console = Console()
err_console = Console(stderr=True)

#: ``--max-cells`` default: the value of :data:`gis.raster.DEFAULT_MAX_CELLS`, repeated here so
#: that building the CLI does not import rasterio (tests/test_cli_startup.py checks they agree).
DEFAULT_MAX_CELLS: int = 400_000_000


class Units(StrEnum):
    degrees = "degrees"
    percent = "percent"


def register(cli: typer.Typer) -> None:
    """Add the ``slope`` command to ``cli``."""

    @cli.command("slope")
    def slope(
        dem: Path = typer.Argument(..., help="DEM GeoTIFF (metres, projected CRS in metres)"),
        out: Path = typer.Argument(..., help="output slope GeoTIFF (float32, nodata -9999)"),
        units: Units = typer.Option(Units.degrees, "--units", help="slope in degrees or percent"),
        to_crs: str | None = typer.Option(
            None, "--to-crs", help="reproject the DEM first, e.g. EPSG:4546 (needed for a geographic DEM)"
        ),
        resolution: float | None = typer.Option(
            None, "--resolution", help="cell size in metres when reprojecting (with --to-crs)"
        ),
        max_cells: int = typer.Option(DEFAULT_MAX_CELLS, "--max-cells", help="refuse larger rasters"),
    ) -> None:
        """坡度 Slope of a DEM by Horn's method; edge cells and cells next to nodata are nodata."""
        import numpy as np

        from gis.slope import write_slope

        started = time.perf_counter()
        try:
            grid = write_slope(
                dem, out, units=units.value, dst_crs=to_crs, resolution=resolution, max_cells=max_cells
            )
        except ParksiteError as exc:
            err_console.print(f"[red]{escape(error_line(exc))}[/red]", highlight=False, soft_wrap=True)
            raise typer.Exit(exit_code_for(exc)) from exc
        valid = grid.values[~np.isnan(grid.values)]
        unit = "°" if units is Units.degrees else "%"
        rows, cols = grid.shape
        summary = (
            f"min {valid.min():.2f}{unit}, mean {valid.mean():.2f}{unit}, max {valid.max():.2f}{unit}"
            if valid.size
            else "no valid cells"
        )
        console.print(
            f"[green]OK[/green] {escape(str(out))}: {cols} × {rows} cells of {grid.dx:g} m, {summary}; "
            f"{grid.values.size - valid.size:,} nodata cell(s); {time.perf_counter() - started:.2f} s",
            highlight=False,
            soft_wrap=True,
        )
