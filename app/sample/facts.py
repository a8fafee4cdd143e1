"""The plan facts the sample zone is built on, read from the zone file (:mod:`scoring.zone`) and
the data files it names (:mod:`scoring.enterprises`) — never written in the generator.

:func:`load_facts` returns them, joined with the sample's own illustrative choices
(:mod:`app.sample.illustrative`), after checking that the zone is one the illustrative layout
can draw. Every problem is a :class:`gis.errors.ConfigError` that names the zone file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.sample.illustrative import LAND_USE_BY_KIND, LAYOUT_CLUSTERS, PLACEMENTS
from app.settings import DEFAULT_ZONE_FILE
from gis.errors import ConfigError
from gis.units import KM2_M2
from scoring.enterprises import EnterpriseTable, load_enterprises
from scoring.zone import Cluster, Landmark, Park, ParkServices, ZoneConfig, load_zone
from scoring.zone_places import Place

#: The zone file the committed sample is built from.
SAMPLE_ZONE_FILE = DEFAULT_ZONE_FILE


@dataclass(frozen=True)
class SampleEnterprise:
    """An existing enterprise as the sample places it: the table's row (number, name, area,
    source) with the sample's illustrative cluster, land use and, where the table has "-", area."""

    number: int
    name: str
    area_mu: float | None  # the table's; None where it has "-"
    source: str  # the table's row source, e.g. 表2-1
    cluster: str  # illustrative
    land_use: str  # illustrative
    illustrative_mu: float | None = None

    @property
    def sample_mu(self) -> float:
        """Area (亩) the sample gives the enterprise's parcel: the table's, else illustrative."""
        return self.area_mu if self.area_mu is not None else float(self.illustrative_mu or 0.0)

    @property
    def area_source(self) -> str:
        """Where the parcel's area comes from: the table's row source, or ``illustrative``."""
        return self.source if self.area_mu is not None else "illustrative"


@dataclass(frozen=True)
class SampleFacts:
    """The zone's plan facts the generator uses, and the enterprises as placed."""

    zone_file: Path
    zone: ZoneConfig
    enterprises: tuple[SampleEnterprise, ...]

    @property
    def crs(self) -> str:
        """The zone's projected CRS, e.g. ``EPSG:4546``."""
        return self.zone.zone.crs

    @property
    def seat(self) -> Place:
        """The county seat (name and lon/lat degrees)."""
        assert self.zone.county is not None and self.zone.county.seat is not None  # load_facts checks
        return self.zone.county.seat

    def park(self, park_id: str) -> Park:
        """Return the zone file's park (name, name_en, area_km2, …)."""
        return self.zone.park(park_id)

    def clusters(self, park_id: str) -> list[Cluster]:
        """Return the park's clusters in zone-file order."""
        return list(self.zone.park(park_id).clusters)

    def services(self, park_id: str) -> ParkServices:
        """Return the park's services: substation and wastewater plant names and figures."""
        return self.zone.park(park_id).services

    def land_use(self, cluster_id: str) -> str:
        """Return the planned land use of the cluster's vacant parcels (illustrative, by kind)."""
        return LAND_USE_BY_KIND[self.zone.cluster(cluster_id).kind]

    def landmark(self, park_id: str, kind: str) -> Landmark:
        """Return the park's landmark of ``kind`` (name, ``distance_m`` in metres)."""
        mark = self.zone.park(park_id).landmark(kind)
        assert mark is not None  # load_facts checks
        return mark

    def area_m2(self, park_id: str) -> float:
        """Return the park's planned area in m²."""
        return self.zone.park(park_id).area_km2 * KM2_M2

    def cluster_mu(self, cluster_id: str) -> float:
        """Return the cluster's planned area in 亩 (only for clusters the plan sizes)."""
        area = self.zone.cluster(cluster_id).area_mu
        assert area is not None  # load_facts checks
        return area


def _check_layout(zone: ZoneConfig, where: str) -> None:
    got = {p.id: tuple(c.id for c in p.clusters) for p in zone.parks}
    if {k: sorted(v) for k, v in got.items()} != {k: sorted(v) for k, v in LAYOUT_CLUSTERS.items()}:
        raise ConfigError(
            f"the sample's illustrative layout draws parks and clusters {LAYOUT_CLUSTERS}; the zone has {got}",
            where=where,
            hint="keep the park and cluster ids (names, areas and the rest may change)",
        )
    needs = [
        ("county.seat", zone.county is not None and zone.county.seat is not None),
        ("parks.shuitou.landmarks (kind reservoir_dam)", zone.park("shuitou").landmark("reservoir_dam")),
        ("parks.shuitou.landmarks (kind county_seat)", zone.park("shuitou").landmark("county_seat")),
        ("parks.shuitou.clusters.st-public.area_mu", zone.cluster("st-public").area_mu is not None),
        ("parks.shuitou.services.substation", zone.park("shuitou").services.substation),
        ("parks.shuangchi.services.substation", zone.park("shuangchi").services.substation),
        ("parks.shuangchi.services.wastewater_plant", zone.park("shuangchi").services.wastewater_plant),
        (
            "parks.shuangchi.services.wastewater_capacity_m3_per_day",
            zone.park("shuangchi").services.wastewater_capacity_m3_per_day is not None,
        ),
        ("data.enterprises", zone.data.enterprises),
    ]
    missing = [name for name, ok in needs if not ok]
    if missing:
        raise ConfigError(f"the sample generator needs {', '.join(missing)}", where=where)


def _place(table: EnterpriseTable, zone: ZoneConfig, where: str) -> tuple[SampleEnterprise, ...]:
    out = []
    for e in table.enterprises:
        p = PLACEMENTS.get(e.number)
        if p is None:
            raise ConfigError(
                f"enterprise №{e.number} {e.name} has no illustrative placement",
                where=where,
                hint="add its cluster, land use and (if the table has no area) area to "
                "app/sample/illustrative.py PLACEMENTS",
            )
        if p.cluster not in {c.id for c in zone.park(e.park).clusters}:
            raise ConfigError(
                f"enterprise №{e.number} {e.name} is in park {e.park}, its illustrative cluster "
                f"{p.cluster} is not",
                where=where,
            )
        if e.area_mu is None and p.area_mu is None:
            raise ConfigError(
                f"enterprise №{e.number} {e.name} has no area in the table and no illustrative area",
                where=where,
            )
        out.append(SampleEnterprise(e.number, e.name, e.area_mu, e.source, p.cluster, p.land_use, p.area_mu))
    return tuple(out)


def load_facts(zone_file: Path | str | None = None) -> SampleFacts:
    """Return the plan facts of ``zone_file`` (default: the bundled Jiaokou zone file) the
    sample is built on; ConfigError when the file is invalid or the layout cannot draw it."""
    path = Path(zone_file) if zone_file is not None else SAMPLE_ZONE_FILE
    zone = load_zone(path)
    _check_layout(zone, str(path))
    table = load_enterprises(path, zone)
    assert table is not None  # _check_layout requires data.enterprises
    return SampleFacts(path, zone, _place(table, zone, str(path)))
