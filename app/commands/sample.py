"""``parksite sample``: rebuild the illustrative Jiaokou sample zone (GeoPackage and DEMs) from a
seed and the plan facts of the zone file (``data/zones/jiaokou.yaml`` unless ``--zone``)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.commands.lang import error_line
from app.errors import exit_code_for
from app.settings import DEFAULT_ZONE_FILE, ROOT
from gis.errors import ParksiteError

console = Console()
err_console = Console(stderr=True)

#: Where the committed sample lives: the repository's ``data/``.
DEFAULT_OUT_DIR = ROOT / "data"

#: ``--seed`` default: the value of :data:`app.sample.build.DEFAULT_SEED`, repeated here so that
#: building the CLI does not import geopandas (tests/test_cli_startup.py checks they agree).
DEFAULT_SEED: int = 2022


def register(cli: typer.Typer) -> None:
    """Add the ``sample`` command to ``cli``."""

    @cli.command("sample")
    def sample(
        seed: int = typer.Option(
            DEFAULT_SEED, "--seed", help="random seed; the same seed gives the same zone"
        ),
        out_dir: Path = typer.Option(
            DEFAULT_OUT_DIR,
            "--out-dir",
            help="writes parcels/jiaokou.gpkg and rasters/jiaokou_dem_<park>.tif here",
        ),
        zone: Path = typer.Option(
            DEFAULT_ZONE_FILE,
            "--zone",
            help="zone file whose plan facts (parks, clusters, 表2-1, …) the sample takes",
        ),
    ) -> None:
        """示例园区 Rebuild the illustrative Jiaokou sample zone (invented geometry, the plan's facts)."""
        from app.sample.build import LAYERS, build_sample, write_sample

        started = time.perf_counter()
        try:
            sample_zone = build_sample(seed, zone)
            paths = write_sample(sample_zone, out_dir)
        except ParksiteError as exc:
            err_console.print(f"[red]{escape(error_line(exc))}[/red]", highlight=False, soft_wrap=True)
            raise typer.Exit(exit_code_for(exc)) from exc
        counts = ", ".join(f"{name} {len(sample_zone.layers[name])}" for name in LAYERS)
        table = Table(title=f"sample zone, seed {seed} (illustrative — not survey data)")
        table.add_column("file")
        table.add_column("size", justify="right")
        for path in paths.values():
            table.add_row(escape(str(path)), f"{path.stat().st_size / 1024:,.0f} KiB")
        console.print(table)
        console.print(f"features: {counts}")
        console.print(f"done in {time.perf_counter() - started:.1f} s")
