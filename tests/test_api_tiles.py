"""Hillshade and slope-class XYZ tiles from the zone's DEM: decoded, sized, coloured as computed by
hand from the DEM's analytic surface (a plane rising 2 m per 100 m eastwards and a 20 m Gaussian
hill of σ = 150 m centred at (X0 + 700, Y0 + 300))."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from app.api.tiles import SLOPE_COLOURS, slope_breaks_deg
from tests.conftest import X0, Y0

TO_MERC = Transformer.from_crs("EPSG:4546", "EPSG:3857", always_xy=True)
ORIGIN = 20037508.342789244
HILL = (X0 + 700, Y0 + 300)
#: The steepest gradient of the hill, at σ from its centre: 20/150 · e^(−1/2).
HILL_MAX = 20 / 150 * math.exp(-0.5)


def tile_and_pixel(x: float, y: float, z: int) -> tuple[int, int, int, int]:
    """Tile (x, y) and pixel (column, row) holding zone point (x, y) at zoom z."""
    mx, my = TO_MERC.transform(x, y)
    size = 2 * ORIGIN / 2**z
    fx, fy = (mx + ORIGIN) / size, (ORIGIN - my) / size
    tx, ty = int(fx), int(fy)
    return tx, ty, int((fx - tx) * 256), int((fy - ty) * 256)


def decode(png: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile(png) as mem, mem.open() as src:
            assert (src.driver, src.count, src.width, src.height) == ("PNG", 4, 256, 256)
            return src.read()


def get_tile(client, kind: str, x: float, y: float, z: int = 17) -> tuple[np.ndarray, int, int]:
    tx, ty, col, row = tile_and_pixel(x, y, z)
    r = client.get(f"/api/v1/tiles/{kind}/{z}/{tx}/{ty}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    return decode(r.content), col, row


def shade(p: float, q: float = 0.0) -> float:
    """Hillshade 0–255 of a surface with east/north gradients p, q (sun 315°, 45°)."""
    az, alt = math.radians(315), math.radians(45)
    s = -p * math.sin(az) * math.cos(alt) - q * math.cos(az) * math.cos(alt) + math.sin(alt)
    return 255 * s / math.sqrt(1 + p * p + q * q)


@pytest.mark.parametrize(
    ("where", "gradient"),
    [
        ("hill top", 0.02),  # only the plane: 1.15°
        ("west flank", 0.02 + HILL_MAX),  # rises eastwards, faces the NW sun: 5.76°
        ("east flank", 0.02 - HILL_MAX),  # falls eastwards: 3.48°
    ],
)
def test_hillshade_and_slope_classes_match_the_surface(ro_client, where, gradient):
    x = {"hill top": HILL[0], "east flank": HILL[0] + 150, "west flank": HILL[0] - 150}[where]
    rgba, col, row = get_tile(ro_client, "hillshade", x, HILL[1])
    assert rgba[3, row, col] == 255
    assert rgba[0, row, col] == pytest.approx(shade(gradient), abs=3)
    assert (rgba[0] == rgba[1]).all() and (rgba[1] == rgba[2]).all()  # grey
    rgba, col, row = get_tile(ro_client, "slope", x, HILL[1])
    degrees = math.degrees(math.atan(abs(gradient)))
    cls = int(np.digitize(degrees, slope_breaks_deg(15.0)))
    assert tuple(rgba[:3, row, col]) == SLOPE_COLOURS[cls] and rgba[3, row, col] == 255


def test_slope_class_breaks_follow_the_zone_limit():
    assert slope_breaks_deg(15.0) == pytest.approx((2.0, 5.0, 8.5308), abs=1e-4)  # atan(0.15)


def test_tiles_are_transparent_off_the_dem_and_opaque_on_it(ro_client):
    # a z13 tile (~3.9 km) holds the 1.1 × 0.7 km DEM and land around it; Shuitou has no DEM
    rgba, col, row = get_tile(ro_client, "slope", X0 + 500, Y0 + 300, z=13)
    assert rgba[3, row, col] == 255
    opaque = (rgba[3] == 255).sum()
    assert 0 < opaque < 256 * 256 and set(np.unique(rgba[3])) == {0, 255}
    # the DEM's area in pixels: 1100 × 700 m at (2π·6378137 / 2¹³ / 256 · cos φ) m per pixel
    pixel_m = 2 * math.pi * 6378137 / 2**13 / 256 * math.cos(math.radians(36.94))
    assert opaque == pytest.approx(1100 * 700 / pixel_m**2, rel=0.1)
    for kind in ("hillshade", "slope"):
        rgba, _, _ = get_tile(ro_client, kind, X0 - 2500, Y0 + 250, z=16)
        assert rgba[3].max() == 0  # all transparent


def test_a_low_zoom_tile_still_shows_the_zone(ro_client):
    rgba, col, row = get_tile(ro_client, "slope", X0 + 500, Y0 + 300, z=10)
    assert rgba[3].sum() > 0 and rgba[3, row, col] == 255


def test_tiles_are_cached(ro_client):
    cache = ro_client.app.state.api.tiles
    tx, ty, _, _ = tile_and_pixel(X0 + 300, Y0 + 300, 16)
    first = ro_client.get(f"/api/v1/tiles/hillshade/16/{tx}/{ty}.png").content
    hits = cache.hits
    assert ro_client.get(f"/api/v1/tiles/hillshade/16/{tx}/{ty}.png").content == first
    assert cache.hits == hits + 1


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/tiles/slope/3/100/1.png", 404),
        ("/api/v1/tiles/slope/23/0/0.png", 404),
        ("/api/v1/tiles/aspect/3/1/1.png", 400),  # a path parameter not in its enum (issue 16)
        ("/api/v1/tiles/slope/25/0/0.png", 400),  # beyond the deepest zoom (app.api.bounds)
    ],
)
def test_bad_tile_requests(ro_client, url, status):
    assert ro_client.get(url).status_code == status


def test_tile_cache_is_bounded():
    from app.api.tiles import TileCache

    cache = TileCache(max_tiles=3, max_bytes=10)
    for k in range(5):
        cache.put(("t", k), b"12345")
    assert len(cache) == 2 and cache.get(("t", 4)) == b"12345" and cache.get(("t", 0)) is None
