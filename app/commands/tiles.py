"""``parksite tiles seed``: render the zone's terrain tiles (hillshade, slope classes) ahead of use.

::

    parksite tiles seed [--zooms 12-15] [--layers hillshade,slope] [--zone ID] [--database-url URL]

Every tile of the zone's extent (the box the web map asks tiles in, and each DEM's box) at the
given zooms is rendered into the tile store in the state directory that every worker process of
``parksite serve`` reads (:mod:`app.api.terrain_cache`); tiles already there are kept, so a
second seed renders none. ``parksite serve`` seeds zooms 12–15 itself before its workers start.
Progress goes to stderr (a bar on a terminal, else a line at every tenth); the summary says how
many tiles were rendered and how long it took. An unknown layer or bad zooms: exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from app.commands.db import DatabaseUrl
from app.commands.lang import LANG_HELP, current, error_line, set_lang
from app.errors import exit_code_for
from app.i18n import text
from gis.errors import ParksiteError

if TYPE_CHECKING:  # the API, database and GIS stacks load only when the command runs
    from app.api.terrain_cache import SeedResult

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

tiles_app = typer.Typer(
    help="瓦片 Terrain tiles (hillshade, slope classes) of the web map, rendered ahead of use.",
    no_args_is_help=True,
)

#: The default of ``--zooms`` (:data:`app.api.terrain_cache.SEED_ZOOMS`, repeated here so that
#: building the CLI does not import rasterio).
DEFAULT_ZOOMS = "12-15"
#: The default of ``--layers`` (:data:`app.api.tile_store.LAYERS`).
DEFAULT_LAYERS = "hillshade,slope"


def zoom_span(zooms: tuple[int, ...]) -> str:
    """Return zooms as the user writes them: ``12–15`` for a run, else ``12, 14``."""
    if zooms and list(zooms) == list(range(zooms[0], zooms[-1] + 1)) and len(zooms) > 1:
        return f"{zooms[0]}–{zooms[-1]}"
    return ", ".join(str(z) for z in zooms)


@tiles_app.command("seed")
def seed(
    zooms: str = typer.Option(DEFAULT_ZOOMS, "--zooms", help="zoom levels: a range 12-15, or 12,14"),
    layers: str = typer.Option(
        DEFAULT_LAYERS, "--layers", help="tile layers, comma-separated: hillshade, slope"
    ),
    zone: str | None = typer.Option(
        None, "--zone", help="zone id (default: the zone the server serves, PARKSITE_ZONE_FILE's)"
    ),
    database_url: str | None = DatabaseUrl,
    lang: str | None = typer.Option(None, "--lang", help=LANG_HELP),
) -> None:
    """预生成瓦片 Render the zone's hillshade and slope tiles into the tile store all server workers share."""
    lang = set_lang(lang) if lang else current()
    try:
        from app.api.terrain_cache import parse_layers, parse_zooms

        zoom_list = parse_zooms(zooms)
        layer_list = parse_layers(layers)
        result = _seed(database_url, zone, zoom_list, layer_list, lang)
    except ParksiteError as exc:
        err_console.print(f"[red]{escape(error_line(exc, lang))}[/red]", soft_wrap=True)
        raise typer.Exit(exit_code_for(exc)) from exc
    console.print(
        "[green]OK[/green] "
        + escape(
            text(
                "cli.tiles.done",
                lang,
                zone=result.zone_id,
                tiles=result.tiles,
                zooms=zoom_span(result.zooms),
                layers=", ".join(result.layers),
                rendered=result.rendered,
                kept=result.tiles - result.rendered,
                seconds=f"{result.seconds:.1f}",
                folder=str(result.folder),
            )
        ),
        soft_wrap=True,
    )


def _seed(
    database_url: str | None, zone_id: str | None, zooms: tuple[int, ...], layers: tuple[str, ...], lang: str
) -> SeedResult:
    """Open the database (its schema must be current), seed, and return the SeedResult."""
    from app.api.factory import preload_native_libraries
    from app.api.store import served_zone
    from app.api.terrain_cache import seed_tiles
    from app.api.tile_store import TileStore
    from app.commands.progress import progress_bar
    from app.db.engine import session_factory
    from app.db.probe import open_database
    from app.db.schema import require_current
    from app.settings import get_settings

    settings = get_settings()
    url = database_url or settings.resolved_database_url()
    preload_native_libraries()
    engine = open_database(url)
    try:
        require_current(engine)
        store = TileStore.for_settings(settings.state_dir, url)
        with (
            session_factory(engine)() as session,
            progress_bar(err_console) as bar,
        ):
            zone = zone_id or served_zone(session, settings).id
            task = bar.add_task(
                text("cli.tiles.rendering", lang, zone=zone, layers=", ".join(layers)), total=None
            )
            shown = {"tenth": 0}

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)
                tenth = done * 10 // total
                if not err_console.is_terminal and tenth > shown["tenth"]:
                    shown["tenth"] = tenth
                    err_console.print(escape(text("cli.tiles.progress", lang, done=done, total=total)))

            return seed_tiles(session, zone, store, zooms=zooms, layers=layers, progress=progress)
    finally:
        engine.dispose()


def register(cli: typer.Typer) -> None:
    """Add ``tiles`` to the parksite CLI."""
    cli.add_typer(tiles_app, name="tiles")
