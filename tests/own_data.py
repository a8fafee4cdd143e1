"""Test helper: a zone office's own files for the 交城 test zone (tests/data/zones/jiaocheng.yaml),
built in the test with the real tools — GDAL's DXF writer, a Shapefile in GBK without ``.cpg``,
a 三调-like DLTB layer, an XLSX ledger, and a DEM reprojected to EPSG:4326 and cut into tiles.

The zone lies near 交城 (about 112.14°E, 37.54°N): one park ``main`` of exactly 1 km²
(``box(X0, Y0, X0 + 1000, Y0 + 1000)`` in EPSG:4546) holding six parcels JC-01 … JC-06. The
DXF is drawn in EPSG:4525 (eastings with the zone prefix 37) and declares no CRS.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
from affine import Affine
from rasterio.warp import Resampling, calculate_default_transform, reproject
from shapely import LineString, Point, Polygon, box

ZONE_CRS = "EPSG:4546"
X0, Y0 = 601_000.0, 4_157_000.0
#: EPSG:4525 eastings = EPSG:4546 eastings + 37 000 000 (the zone prefix; same projection).
PREFIX = 37_000_000.0

#: The park and its six parcels (EPSG:4546). JC-06 is a pentagon.
PARK = box(X0, Y0, X0 + 1000, Y0 + 1000)
PARCELS: dict[str, Polygon] = {
    "JC-01": box(X0 + 50, Y0 + 100, X0 + 350, Y0 + 450),
    "JC-02": box(X0 + 350, Y0 + 100, X0 + 650, Y0 + 450),
    "JC-03": box(X0 + 650, Y0 + 100, X0 + 950, Y0 + 450),
    "JC-04": box(X0 + 50, Y0 + 550, X0 + 350, Y0 + 900),
    "JC-05": box(X0 + 350, Y0 + 550, X0 + 650, Y0 + 900),
    "JC-06": Polygon(
        [
            (X0 + 650, Y0 + 550),
            (X0 + 950, Y0 + 550),
            (X0 + 950, Y0 + 820),
            (X0 + 800, Y0 + 900),
            (X0 + 650, Y0 + 900),
        ]
    ),
}
#: 三调 DLTB polygons (EPSG:4546): a west third 工业用地, a middle 旱地, an east river and a
#: village homestead; each parcel lies mostly in one.
DLTB = [
    ("1401001", "0601", "工业用地", box(X0 - 50, Y0 - 50, X0 + 345, Y0 + 1050)),
    ("1401002", "0103", "旱地", box(X0 + 345, Y0 - 50, X0 + 655, Y0 + 1050)),
    ("1401003", "1101", "河流水面", box(X0 + 655, Y0 - 50, X0 + 1050, Y0 + 500)),
    ("1401004", "0702", "农村宅基地", box(X0 + 655, Y0 + 500, X0 + 1050, Y0 + 1050)),
]
#: The status each parcel gets from the DLBM covering most of it.
STATUS = {
    "JC-01": "existing",
    "JC-02": "vacant",
    "JC-03": "reserved",
    "JC-04": "existing",
    "JC-05": "vacant",
    "JC-06": "existing",
}
DLBM_NAME = {
    "JC-01": "工业用地",
    "JC-02": "旱地",
    "JC-03": "河流水面",
    "JC-04": "工业用地",
    "JC-05": "旱地",
    "JC-06": "农村宅基地",
}
OWNER = {"JC-01": "山西交城某某铝业有限公司", "JC-04": "交城县某某新材料有限公司"}


def shifted(geom: Polygon, dx: float) -> Polygon:
    """``geom`` moved east by ``dx`` metres (EPSG:4546 → EPSG:4525 with dx = PREFIX)."""
    from shapely import affinity

    return affinity.translate(geom, xoff=dx)


def write_dxf(path: Path) -> Path:
    """A CAD parcel plan written by GDAL's DXF driver: closed polylines on layer 地块, TEXT
    labels on 编号 (plus a title outside every parcel), land-use codes on 用地, an open road
    centreline on 道路; coordinates in EPSG:4525, no CRS."""
    rows = []
    for pid, poly in PARCELS.items():
        p = shifted(poly, PREFIX)
        rows.append({"Layer": "地块", "OGR_STYLE": None, "geometry": p.exterior})
        c = p.representative_point()
        rows.append({"Layer": "编号", "OGR_STYLE": f'LABEL(f:"SimSun",t:"{pid}",s:3g)', "geometry": c})
        rows.append(
            {
                "Layer": "用地",
                "OGR_STYLE": 'LABEL(f:"SimSun",t:"M2 工业",s:2g)',
                "geometry": Point(c.x, c.y - 20),
            }
        )
    rows.append(
        {
            "Layer": "编号",
            "OGR_STYLE": 'LABEL(f:"SimSun",t:"交城经济开发区控制性详细规划",s:8g)',
            "geometry": Point(X0 + PREFIX + 500, Y0 + 1100),
        }
    )
    rows.append(
        {
            "Layer": "道路",
            "OGR_STYLE": None,
            "geometry": LineString([(X0 + PREFIX, Y0 + 500), (X0 + PREFIX + 1000, Y0 + 500)]),
        }
    )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided": on purpose
        pyogrio.write_dataframe(gdf, path, driver="DXF")
    return path


def write_gbk_shapefile(path: Path, gdf: gpd.GeoDataFrame) -> Path:
    """Write ``gdf`` as a Shapefile whose table is in GBK, and delete its ``.cpg``."""
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert not path.with_suffix(".cpg").exists()
    return path


def parcel_attributes() -> gpd.GeoDataFrame:
    """The parcels with the fields a design institute's Shapefile has: 地块编号, 用地性质 (a 三调
    DLBM code), 面积 (亩, as declared), 权利人 (EPSG:4546)."""
    codes = {"existing": "0601", "vacant": "0103", "reserved": "1101"}
    rows = [
        {
            "地块编号": pid,
            "用地性质": "0702" if pid == "JC-06" else codes[STATUS[pid]],
            "面积": round(poly.area / (10_000 / 15), 2),
            "权利人": OWNER.get(pid),
            "geometry": poly,
        }
        for pid, poly in PARCELS.items()
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=ZONE_CRS)


def dltb_frame() -> gpd.GeoDataFrame:
    """A 三调-like DLTB layer (BSM, DLBM, DLMC, ZLDWMC) in EPSG:4546."""
    rows = [
        {"BSM": b, "DLBM": c, "DLMC": n, "ZLDWMC": "交城县夏家营镇", "geometry": g} for b, c, n, g in DLTB
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=ZONE_CRS)


def park_frame() -> gpd.GeoDataFrame:
    """The park outline with Chinese field names (园区代码, 园区名称)."""
    return gpd.GeoDataFrame({"园区代码": ["main"], "园区名称": ["交城园区"]}, geometry=[PARK], crs=ZONE_CRS)


def write_ledger(path: Path) -> Path:
    """An XLSX ledger keyed by 地块编号: 权利人 and 投资额 (元)."""
    table = pd.DataFrame(
        {
            "地块编号": list(PARCELS),
            "权利人": [OWNER.get(p, "") for p in PARCELS],
            "投资额": [f"{(i + 1) * 12_500_000:,}" for i in range(len(PARCELS))],
        }
    )
    table.to_excel(path, index=False, engine="openpyxl")
    return path


def terrain(shape: tuple[int, int], transform: Affine) -> np.ndarray:
    """Smooth hills (metres) on a grid in EPSG:4546: slopes of a few degrees."""
    rows, cols = shape
    c, r = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x = transform.c + c * transform.a
    y = transform.f + r * transform.e
    z = 1150 + 35 * np.sin((x - X0) / 260.0) + 25 * np.cos((y - Y0) / 330.0) + 0.04 * (x - X0)
    return z.astype(np.float32)


def write_zone_dem(path: Path, res: float = 10.0, margin: float = 600.0) -> Path:
    """The DEM in the zone's CRS (EPSG:4546, ``res`` m cells) over the park and a margin."""
    left, top = X0 - margin, Y0 + 1000 + margin
    n = int((1000 + 2 * margin) / res)
    t = Affine(res, 0, left, 0, -res, top)
    profile = dict(
        driver="GTiff", width=n, height=n, count=1, dtype="float32", crs=ZONE_CRS, transform=t, nodata=-9999
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(terrain((n, n), t), 1)
    return path


def write_geographic_tiles(zone_dem: Path, folder: Path, splits: int = 2) -> list[Path]:
    """The zone DEM reprojected to EPSG:4326 (bilinear) and cut into ``splits`` × ``splits``
    tiles with nodata −32768, as public DEM tiles come."""
    folder.mkdir(parents=True, exist_ok=True)
    with rasterio.open(zone_dem) as src, warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # rasterio's own Affine `*`
        t, w, h = calculate_default_transform(src.crs, "EPSG:4326", src.width, src.height, *src.bounds)
        data = np.full((h, w), -32768, dtype=np.float32)
        reproject(
            rasterio.band(src, 1),
            data,
            dst_transform=t,
            dst_crs="EPSG:4326",
            dst_nodata=-32768,
            resampling=Resampling.bilinear,
        )
    paths = []
    rs = np.linspace(0, h, splits + 1).astype(int)
    cs = np.linspace(0, w, splits + 1).astype(int)
    for i in range(splits):
        for j in range(splits):
            sub = data[rs[i] : rs[i + 1], cs[j] : cs[j + 1]]
            st = t @ Affine.translation(cs[j], rs[i])
            p = folder / f"N37E112_{i}{j}.tif"
            profile = dict(
                driver="GTiff", width=sub.shape[1], height=sub.shape[0], count=1, dtype="float32",
                crs="EPSG:4326", transform=st, nodata=-32768,
            )  # fmt: skip
            with rasterio.open(p, "w", **profile) as dst:
                dst.write(sub, 1)
            paths.append(p)
    return paths


MAPPING = """\
# The 交城 zone's files → parksite layers.
layers:
  parks:
    file: 园区范围.shp
    fields:
      park_id: 园区代码
      name: 园区名称
  clusters:
    file: 组团.geojson
    fields:
      cluster_id: {value: new-materials}
      park_id: {value: main}
      name: {value: 新材料组团}
  parcels:
    file: 控规地块.dxf
    crs: EPSG:4525
    dxf: {layers: [地块], label_layers: [编号], label_pattern: "JC-\\\\d+"}
    join:
      - {file: 地块台账.xlsx, key: 地块编号, field: label}
    overlay:
      - {file: DLTB.shp, field: DLBM}
    fields:
      parcel_id: label
      park: {value: main}
      status: {field: DLBM, codes: dlbm, take: status}
      land_use: {field: DLBM, codes: dlbm, take: name}
      enterprise: 权利人
      investment_wan: {field: 投资额, unit: 元}
"""


def write_zone_files(folder: Path, *, mapping: str = MAPPING) -> dict[str, Path]:
    """Write every file of the 交城 zone into ``folder``: the DXF plan, the GBK park outline
    and DLTB, the clusters GeoJSON, the ledger, the field mapping, the zone DEM (EPSG:4546)
    and its EPSG:4326 tiles. Returns them by name."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {
        "dxf": write_dxf(folder / "控规地块.dxf"),
        "parks": write_gbk_shapefile(folder / "园区范围.shp", park_frame()),
        "dltb": write_gbk_shapefile(folder / "DLTB.shp", dltb_frame()),
        "parcel_shp": write_gbk_shapefile(folder / "地块属性.shp", parcel_attributes()),
        "ledger": write_ledger(folder / "地块台账.xlsx"),
        "zone_dem": write_zone_dem(folder / "zone_dem_4546.tif"),
    }
    clusters = gpd.GeoDataFrame({"组团": ["新材料组团"]}, geometry=[PARK], crs=ZONE_CRS).to_crs("EPSG:4326")
    out["clusters"] = folder / "组团.geojson"
    clusters.to_file(out["clusters"], driver="GeoJSON", engine="pyogrio")
    out["mapping"] = folder / "mapping.yaml"
    out["mapping"].write_text(mapping, encoding="utf-8")
    tiles = write_geographic_tiles(out["zone_dem"], folder / "tiles")
    return {**out, **{f"tile{i}": p for i, p in enumerate(tiles)}}
