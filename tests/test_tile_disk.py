"""Terrain tiles on disk, shared by every worker process (issue 20, "Maps that stay fast"):
a tile rendered by one app instance is served by another from disk without rendering; writes
are atomic (a temporary file renamed over the tile); a re-import shows new tiles and removes the
old import's; the seed renders every tile of the zone's extent once (counted by hand here from
the bounds with the project's own ``tile_bounds``) and a second seed renders none; the
``parksite tiles seed`` command, its progress and its errors.

Renders are counted by wrapping :func:`app.api.terrain_cache.render_tile` (the real function
still renders)."""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer
from typer.testing import CliRunner

from tests.api_fixtures import DEM_LEFT, DEM_RES, DEM_SHAPE, DEM_TOP, ZONE_ID, api_layers, make_client
from tests.conftest import X0, Y0

TO_MERC = Transformer.from_crs("EPSG:4546", "EPSG:3857", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:4546", "EPSG:4326", always_xy=True)
WGS_TO_MERC = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
ORIGIN = 20037508.342789244


class Renders:
    """A wrapper of ``render_tile`` that counts its calls and still renders."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        import app.api.terrain_cache as tc

        self.calls: list[tuple[str, int, int, int]] = []
        real = tc.render_tile

        def counted(ctx, layer, z, x, y):  # noqa: ANN001, ANN202
            self.calls.append((layer, z, x, y))
            return real(ctx, layer, z, x, y)

        monkeypatch.setattr(tc, "render_tile", counted)

    def __len__(self) -> int:
        return len(self.calls)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Renders:
    return Renders(monkeypatch)


def tile_of(x: float, y: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding zone point (x, y) at zoom z."""
    mx, my = TO_MERC.transform(x, y)
    size = 2 * ORIGIN / 2**z
    return int((mx + ORIGIN) / size), int((ORIGIN - my) / size)


ON_DEM = (X0 + 300, Y0 + 300)  # on the Shuangchi DEM
OFF_DEM = (X0 - 2500, Y0 + 250)  # Shuitou: no DEM


def test_a_tile_rendered_by_one_instance_is_served_by_another_from_disk(api_db, tmp_path, renders):
    state = tmp_path / "state"
    tx, ty = tile_of(*ON_DEM, 16)
    url = f"/api/v1/tiles/hillshade/16/{tx}/{ty}.png"
    with make_client(api_db, state) as first:
        a = first.get(url)
        assert a.status_code == 200 and len(renders) == 1
        assert first.app.state.api.tile_store.writes == 1
        assert a.headers["cache-control"] == "public, max-age=3600"  # as before the disk cache
    with make_client(api_db, state) as second:  # another app: its own memory, the same disk
        b = second.get(url)
        assert b.status_code == 200 and b.content == a.content and len(renders) == 1
        store = second.app.state.api.tile_store
        assert (store.hits, store.writes) == (1, 0)
        assert (
            b.headers["cache-control"] == "public, max-age=3600" and b.headers["content-type"] == "image/png"
        )
        # now in this app's memory: the disk is not read again
        assert second.get(url).content == a.content and store.hits == 1
        # the transparent tile off the DEMs and tiles deeper than the map's zoom stay in memory only
        ox, oy = tile_of(*OFF_DEM, 16)
        dx, dy = tile_of(*ON_DEM, 17)
        assert second.get(f"/api/v1/tiles/slope/16/{ox}/{oy}.png").status_code == 200
        assert second.get(f"/api/v1/tiles/slope/17/{dx}/{dy}.png").status_code == 200
        assert len(renders) == 3 and store.writes == 0
    pngs = sorted(p.relative_to(state / "tiles") for p in (state / "tiles").rglob("*.png"))
    assert len(pngs) == 1 and pngs[0].parts[-4:] == ("hillshade", "16", str(tx), f"{ty}.png")


def _png(seed: int) -> bytes:
    from app.api.tiles import encode_png

    noise = np.random.default_rng(seed).integers(0, 256, (4, 256, 256), dtype=np.uint8)
    return encode_png(noise)  # ~260 KB: a write takes long enough to be caught half done


def _store(tmp_path: Path):
    from app.api.tile_store import TileStore

    return TileStore(tmp_path / "tiles", "sqlite:///somewhere.sqlite")


def test_a_write_goes_through_a_temporary_file_renamed_over_the_tile(tmp_path, monkeypatch):
    from app.api.tile_store import TileKey

    store = _store(tmp_path)
    key = TileKey("jiaokou", "20261207T184500000000Z", "hillshade", 15, 26520, 12630)
    png = _png(1)
    seen = []
    real_replace = os.replace

    def replace(src, dst):  # noqa: ANN001, ANN202
        src, dst = Path(src), Path(dst)
        # at the rename the temporary file holds the whole tile, beside where it goes
        seen.append((src.parent == dst.parent, src.read_bytes() == png, dst.exists()))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert store.put(key, png) and store.put(key, png)
    assert seen == [(True, True, False), (True, True, True)]
    assert store.get(key) == png and list(store.path(key).parent.iterdir()) == [store.path(key)]

    def failing(src, dst):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device")

    other = TileKey("jiaokou", "20261207T184500000000Z", "slope", 15, 26520, 12630)
    monkeypatch.setattr(os, "replace", failing)
    assert store.put(other, png) is False  # logged; the route still serves the tile from memory
    assert not store.path(other).exists() and list(store.path(other).parent.iterdir()) == []


def test_concurrent_readers_never_see_part_of_a_tile(tmp_path):
    from app.api.tile_store import TileKey

    store = _store(tmp_path)
    key = TileKey("jiaokou", "20261207T184500000000Z", "slope", 15, 1, 2)
    versions = (_png(2), _png(3))
    path = store.path(key)
    stop = threading.Event()
    bad: list[int] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                data = path.read_bytes()  # the raw file, not the store's checked read
            except FileNotFoundError:
                continue
            reads[0] += 1
            if data not in versions:
                bad.append(len(data))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for k in range(150):
            store.put(key, versions[k % 2])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert reads[0] > 0 and bad == []


def test_a_truncated_file_is_a_miss_and_removed(tmp_path):
    from app.api.tile_store import TileKey

    store = _store(tmp_path)
    key = TileKey("jiaokou", "20261207T184500000000Z", "slope", 15, 1, 2)
    png = _png(4)
    store.put(key, png)
    store.path(key).write_bytes(png[: len(png) // 2])
    assert store.get(key) is None and not store.path(key).exists()


def test_a_reimport_shows_new_tiles_and_removes_the_old_ones(client, tmp_path, renders):
    from app.api.tile_store import TileKey
    from app.db.importer import import_zone
    from tests.api_fixtures import dem_values, write_api_zone
    from tests.rasters import north_up, write_raster

    tx, ty = tile_of(*ON_DEM, 15)
    url = f"/api/v1/tiles/hillshade/15/{tx}/{ty}.png"
    before = client.get(url).content
    store = client.app.state.api.tile_store
    zone_dir = store.root / ZONE_ID
    (old,) = [p.name for p in zone_dir.iterdir()]
    assert len(renders) == 1
    # the zone imported again with a steeper DEM (a plane rising 20 m per 100 m instead of 2)
    sources = write_api_zone(tmp_path / "again")
    rows, cols = DEM_SHAPE
    ramp = (np.arange(cols) * DEM_RES * 0.18)[None, :].repeat(rows, axis=0).astype("float32")
    write_raster(sources.dems[0], dem_values() + ramp, transform=north_up(DEM_LEFT, DEM_TOP, DEM_RES))
    import_zone(client.app.state.api.factory, sources, replace=True, user="test")
    after = client.get(url).content
    assert len(renders) == 2 and after != before  # rendered again from the new DEM
    (new,) = [p.name for p in zone_dir.iterdir()]  # the old import's folder is gone
    assert new > old and store.has(TileKey(ZONE_ID, new, "hillshade", 15, tx, ty))
    assert client.get(url).content == after and len(renders) == 2


def test_prune_removes_only_older_imports(tmp_path):
    import datetime as dt

    from app.api.tile_store import TileKey, TileStore, import_tag

    store = _store(tmp_path)
    t1 = import_tag(dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC))
    t2 = import_tag(dt.datetime(2026, 12, 7, 19, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))  # 11:00 UTC
    t3 = import_tag(dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC))
    assert t2 < t1 < t3 and t1 == "20261207T180000000000Z"
    png = _png(5)
    for tag in (t2, t1, t3):
        store.root.joinpath(ZONE_ID, tag).mkdir(parents=True)
    # a process still answering for the import t1 writes its tile: only t2 (older) goes
    TileStore(store.root.parent, "sqlite:///somewhere.sqlite").put(
        TileKey(ZONE_ID, t1, "slope", 12, 1, 1), png
    )
    assert sorted(p.name for p in (store.root / ZONE_ID).iterdir()) == [t1, t3]


# ---------------------------------------------------------------------------------- seeding


def expected_tiles(zooms: tuple[int, ...]) -> set[tuple[int, int, int]]:
    """The tiles to seed, worked out from the zone's own layers: the parks' and parcels' box in
    WGS 84 padded by 5 % of its size on each side (as the web map pads it) and the DEM's box,
    each tile kept when its web mercator bounds (``tile_bounds``) overlap one of the boxes."""
    from app.api.tiles import tile_bounds

    layers = api_layers()
    xs, ys = [], []
    for name in ("parks", "parcels"):
        b = layers[name].total_bounds
        xs += [b[0], b[2]]
        ys += [b[1], b[3]]

    def wgs_box(left: float, bottom: float, right: float, top: float) -> tuple[float, ...]:
        return TO_WGS.transform_bounds(left, bottom, right, top, densify_pts=21)

    w, s, e, n = wgs_box(min(xs), min(ys), max(xs), max(ys))
    dx, dy = (e - w) * 0.05, (n - s) * 0.05
    boxes = [(w - dx, s - dy, e + dx, n + dy)]
    rows, cols = DEM_SHAPE
    boxes.append(wgs_box(DEM_LEFT, DEM_TOP - rows * DEM_RES, DEM_LEFT + cols * DEM_RES, DEM_TOP))
    merc = [WGS_TO_MERC.transform_bounds(*b) for b in boxes]
    out = set()
    for z in zooms:
        size = 2 * ORIGIN / 2**z
        for mx0, my0, mx1, my1 in merc:
            # a generous range of candidates, each checked against its own bounds
            for x in range(math.floor((mx0 + ORIGIN) / size) - 1, math.floor((mx1 + ORIGIN) / size) + 2):
                for y in range(math.floor((ORIGIN - my1) / size) - 1, math.floor((ORIGIN - my0) / size) + 2):
                    left, bottom, right, top = tile_bounds(z, x, y)
                    if left < mx1 and right > mx0 and bottom < my1 and top > my0:
                        out.add((z, x, y))
    return out


def test_the_seed_renders_every_tile_of_the_extent_once(api_db, tmp_path, renders):
    from app.api.terrain_cache import seed_tiles
    from app.api.tile_store import TileStore
    from app.db.engine import make_engine, session_factory

    zooms = (13, 15, 16)
    want = expected_tiles(zooms)
    assert len(want) > 10  # the two parks 3 km apart: several tiles at z16
    store = TileStore(tmp_path / "tiles", api_db)
    progress: list[tuple[int, int]] = []
    engine = make_engine(api_db)
    try:
        with session_factory(engine)() as s:
            first = seed_tiles(s, ZONE_ID, store, zooms=zooms, progress=lambda d, t: progress.append((d, t)))
            assert first.rendered == first.tiles == 2 * len(want) == len(renders)
            assert {(z, x, y) for layer, z, x, y in renders.calls if layer == "slope"} == want
            assert progress[-1] == (first.tiles, first.tiles) and len(progress) == first.tiles
            files = {p.relative_to(first.folder) for p in first.folder.rglob("*.png")}
            assert files == {
                Path(layer, str(z), str(x), f"{y}.png")
                for layer in ("hillshade", "slope")
                for z, x, y in want
            }
            again = seed_tiles(s, ZONE_ID, store, zooms=zooms, layers=["hillshade"])
            assert (again.rendered, again.tiles) == (0, len(want)) and len(renders) == first.tiles
            # the same seed again: its marker says it finished, the extent is not even computed
            import app.api.terrain_cache as tc

            def no_extent(*_args):  # noqa: ANN002, ANN202
                raise AssertionError("the extent was computed again")

            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(tc, "zone_extent", no_extent)
                third = seed_tiles(s, ZONE_ID, store, zooms=zooms)
            assert (third.rendered, third.tiles, third.folder) == (0, first.tiles, first.folder)
    finally:
        engine.dispose()
    # a server on this state directory answers a seeded tile, even a transparent one, from disk
    x, y = tile_of(*OFF_DEM, 16)
    assert (16, x, y) in want
    with make_client(api_db, tmp_path) as c:
        assert c.get(f"/api/v1/tiles/slope/16/{x}/{y}.png").status_code == 200
        assert len(renders) == first.tiles and c.app.state.api.tile_store.hits == 1


def test_parse_zooms_and_layers():
    from app.api.terrain_cache import parse_layers, parse_zooms
    from app.errors import InvalidParameterError

    assert parse_zooms("12-15") == (12, 13, 14, 15)
    assert parse_zooms("14, 12 ,12-13") == (12, 13, 14)
    assert parse_layers("slope,hillshade,slope") == ("slope", "hillshade")
    for bad in ("15-12", "12-30", "z12", "", "-3"):
        with pytest.raises(InvalidParameterError) as err:
            parse_zooms(bad)
        assert err.value.msg.id == "error.tiles.bad_zooms"
    with pytest.raises(InvalidParameterError) as err:
        parse_layers("hillshade,aspect")
    assert err.value.msg.id == "error.tiles.unknown_layer" and err.value.msg.params["layer"] == "aspect"


def _cli(env: dict[str, str], *args: str):
    from app.cli import cli
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        get_settings.cache_clear()


def _said(result) -> str:  # noqa: ANN001
    out = result.output
    try:
        out += result.stderr
    except ValueError:  # older click: stderr mixed into output
        pass
    return out


def test_tiles_seed_command(api_db, tmp_path, renders):
    env = {"PARKSITE_DATABASE_URL": api_db, "PARKSITE_STATE_DIR": str(tmp_path)}
    first = _cli(env, "--lang", "en", "tiles", "seed", "--zooms", "13,15-16")
    assert first.exit_code == 0, (_said(first), first.exception)
    n = 2 * len(expected_tiles((13, 15, 16)))
    said = _said(first)
    assert (
        f"{n} tiles of zone {ZONE_ID} (zooms 13, 15, 16; hillshade, slope): {n} rendered, 0 already on disk"
        in said
    )
    assert f"{n}/{n} tiles rendered" in said  # the progress line (not a terminal: every tenth)
    assert len(renders) == n
    again = _cli(env, "tiles", "seed", "--zooms", "13,15-16", "--layers", "slope")
    assert again.exit_code == 0 and len(renders) == n
    assert f"共 {n // 2} 个瓦片" in _said(again) and "新生成 0 个" in _said(again)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--layers", "hillshade,aspect"), ("aspect", "hillshade, slope")),
        (("--zooms", "15-12"), ("15-12", "12-15")),
    ],
)
def test_tiles_seed_refuses_an_unknown_layer_or_bad_zooms(tmp_path, args, words):
    env = {
        "PARKSITE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite'}",
        "PARKSITE_STATE_DIR": str(tmp_path),
    }
    r = _cli(env, "--lang", "en", "tiles", "seed", *args)
    assert r.exit_code == 2, _said(r)
    said = _said(r)
    assert all(w in said for w in words) and "error" in said
    assert not (tmp_path / "tiles").exists() and not (tmp_path / "none.sqlite").exists()


def test_each_dem_extent_is_transformed_once_not_per_tile(monkeypatch):
    """Transforming bounds makes PROJ look up the operation (~0.1 s): done once per DEM, not per
    tile (it made a first render 0.15–0.25 s, and a seed of the sample zone 70 s)."""
    from rasterio.crs import CRS

    import app.api.tiles as tiles
    from gis.raster import Grid
    from gis.zonal import TerrainSurface
    from tests.api_fixtures import dem_values
    from tests.rasters import north_up

    grid = Grid(dem_values(), north_up(DEM_LEFT, DEM_TOP, DEM_RES), CRS.from_epsg(4546), "dem.tif")
    surface = TerrainSurface(grid)
    calls = []
    real = tiles.transform_bounds

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(args[:2])
        return real(*args, **kwargs)

    monkeypatch.setattr(tiles, "transform_bounds", counted)
    tx, ty = tile_of(*ON_DEM, 16)
    pngs = [tiles.render_hillshade([surface], 16, tx + dx, ty) for dx in range(-2, 3)]
    assert len(calls) == 1 and pngs[2] != tiles.empty_tile()
    ox, oy = tile_of(*OFF_DEM, 16)
    assert tiles.render_slope([surface], 16, ox, oy, 15.0) is tiles.empty_tile() and len(calls) == 1


def test_the_state_directorys_own_database_keeps_its_tiles_when_the_directory_moves(tmp_path):
    from app.api.tile_store import TileStore, database_tag

    def own(state: Path) -> str:
        return f"sqlite:///{(state / 'parksite.sqlite').resolve()}"

    a = TileStore.for_settings(tmp_path / "a", own(tmp_path / "a"))
    b = TileStore.for_settings(tmp_path / "b", own(tmp_path / "b"))  # a copy of a (browser tests)
    assert (a.root.name, b.root.name) == ("local", "local")
    pg = TileStore.for_settings(tmp_path / "a", "postgresql+psycopg://u:secret@h:5432/db")
    assert pg.root.name == database_tag("postgresql+psycopg://u:other@h:5432/db") != "local"  # no password
    assert pg.root.name != database_tag("postgresql+psycopg://u@h:5432/otherdb")
