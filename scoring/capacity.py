"""Spare utility capacity of each park, and its draw-down as projects are admitted.

A :class:`CapacityLedger` starts from the zone's ``substations`` and ``water`` layers (fields in
docs/architecture.md) and the park's ``services`` names in the zone file. For a park it answers:
how much power (MVA), water (m³/d) and wastewater treatment (m³/d) is spare, and why not when a
facility is missing, planned or has no recorded capacity. :meth:`CapacityLedger.admit` records an
admitted project and draws its demand down.

Conversions (documented parameters, parksite defaults):

* power: a load of ``P`` kW needs ``P / 1000 / power_factor`` MVA of transformer capacity
  (``power_factor`` 0.9 by default);
* wastewater: a project discharges ``wastewater_ratio`` × its water demand (0.8 by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from gis.errors import ConflictError, InputFileError, NotFoundError, SchemaError
from gis.messages import Joined, Message, Name, joined, msg
from scoring.project import Project
from scoring.zone import ZoneConfig

#: Power factor used to turn a load in kW into apparent power in kVA (parksite default).
DEFAULT_POWER_FACTOR: float = 0.9
#: Share of a project's water demand returned as wastewater (parksite default).
DEFAULT_WASTEWATER_RATIO: float = 0.8

Service = Literal["power", "water", "wastewater"]
SERVICES: tuple[Service, ...] = ("power", "water", "wastewater")
SERVICE_UNITS: dict[str, str] = {"power": "MVA", "water": "m³/d", "wastewater": "m³/d"}
#: Each service as a message id (供电 / power …).
SERVICE_IDS: dict[str, str] = {
    "power": "service.power",
    "water": "service.water",
    "wastewater": "service.wastewater",
}
#: A project's demand on each service as a message id (用电负荷 / power load …).
DEMAND_IDS: dict[str, str] = {
    "power": "capacity.power_load",
    "water": "capacity.water_demand",
    "wastewater": "capacity.wastewater",
}

SUBSTATION_FIELDS = ("name", "status", "capacity_mva", "load_mva")
WATER_FIELDS = ("name", "kind", "status", "capacity_m3_per_day", "used_m3_per_day")


#: Facility statuses (layer field ``status``) and the message ids naming them.
FACILITY_STATUS_IDS: dict[str, str] = {
    "in_service": "facility.status.in_service",
    "planned": "facility.status.planned",
    "under_construction": "facility.status.under_construction",
    "out_of_service": "facility.status.out_of_service",
}
#: What serves each service, as message ids.
FACILITY_KIND_IDS: dict[str, str] = {
    "power": "facility.substation",
    "water": "facility.water_source",
    "wastewater": "facility.wastewater_plant",
}


@dataclass
class Facility:
    """A substation, water source or wastewater plant with its capacity and current use."""

    name: str
    service: Service
    status: str
    capacity: float | None
    used: float

    @property
    def in_service(self) -> bool:
        return self.status == "in_service"

    @property
    def spare(self) -> float | None:
        """Return capacity − use in the service's unit (MVA or m³/d), or None if unknown."""
        return None if self.capacity is None else self.capacity - self.used


@dataclass(frozen=True)
class Supply:
    """Spare capacity of one service for one park: ``spare`` or, when unknown, ``reason``."""

    service: Service
    spare: float | None
    facilities: tuple[str, ...]
    reason: Message | Joined | None = None

    @property
    def unit(self) -> str:
        return SERVICE_UNITS[self.service]


@dataclass(frozen=True)
class Demand:
    """A project's demand on the utilities: ``None`` where the project declares nothing."""

    power_mva: float | None
    water_m3_per_day: float | None
    wastewater_m3_per_day: float | None

    def of(self, service: Service) -> float | None:
        return {
            "power": self.power_mva,
            "water": self.water_m3_per_day,
            "wastewater": self.wastewater_m3_per_day,
        }[service]


@dataclass(frozen=True)
class AdmittedProject:
    """A project recorded in the ledger, with what it drew from which facility."""

    project: str
    park: str
    parcel_ids: tuple[str, ...]
    demand: Demand
    drawn: dict[str, float]


@dataclass
class CapacityLedger:
    """Facilities by name, the draw-down parameters, and the projects admitted so far."""

    zone: ZoneConfig
    facilities: dict[str, Facility]
    power_factor: float = DEFAULT_POWER_FACTOR
    wastewater_ratio: float = DEFAULT_WASTEWATER_RATIO
    source: str = "substations, water layers"
    admitted: list[AdmittedProject] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.power_factor <= 1:
            raise SchemaError(
                f"power_factor must be in (0, 1], got {self.power_factor}",
                where="CapacityLedger",
                msg=msg("error.capacity.power_factor", value=self.power_factor),
            )
        if not 0 <= self.wastewater_ratio <= 1:
            raise SchemaError(
                f"wastewater_ratio must be in [0, 1], got {self.wastewater_ratio}",
                where="CapacityLedger",
                msg=msg("error.capacity.wastewater_ratio", value=self.wastewater_ratio),
            )

    # ---- construction

    @classmethod
    def from_layers(
        cls,
        zone: ZoneConfig,
        substations: pd.DataFrame | None,
        water: pd.DataFrame | None,
        *,
        power_factor: float = DEFAULT_POWER_FACTOR,
        wastewater_ratio: float = DEFAULT_WASTEWATER_RATIO,
        source: str = "substations, water layers",
    ) -> CapacityLedger:
        """Return a ledger from the ``substations`` and ``water`` layer tables (either may be None).

        Raises SchemaError when a layer lacks a required field or holds a negative capacity."""
        facilities: dict[str, Facility] = {}
        if substations is not None:
            _require(substations, SUBSTATION_FIELDS, "substations")
            for i, row in substations.reset_index(drop=True).iterrows():
                facilities[str(row["name"])] = Facility(
                    str(row["name"]),
                    "power",
                    str(row["status"]),
                    _capacity(row["capacity_mva"], f"substations row {i}, capacity_mva"),
                    _capacity(row["load_mva"], f"substations row {i}, load_mva") or 0.0,
                )
        if water is not None:
            _require(water, WATER_FIELDS, "water")
            for i, row in water.reset_index(drop=True).iterrows():
                service: Service = "wastewater" if row["kind"] == "wastewater_plant" else "water"
                facilities[str(row["name"])] = Facility(
                    str(row["name"]),
                    service,
                    str(row["status"]),
                    _capacity(row["capacity_m3_per_day"], f"water row {i}, capacity_m3_per_day"),
                    _capacity(row["used_m3_per_day"], f"water row {i}, used_m3_per_day") or 0.0,
                )
        return cls(
            zone, facilities, power_factor=power_factor, wastewater_ratio=wastewater_ratio, source=source
        )

    @classmethod
    def from_gpkg(
        cls,
        zone: ZoneConfig,
        path: Path | str,
        *,
        power_factor: float = DEFAULT_POWER_FACTOR,
        wastewater_ratio: float = DEFAULT_WASTEWATER_RATIO,
    ) -> CapacityLedger:
        """Return a ledger read from the ``substations`` and ``water`` layers of a GeoPackage.

        A missing layer gives no facilities of that kind (the capacity rules then say "review");
        a missing file raises InputFileError."""
        import pyogrio

        path = Path(path)
        if not path.is_file():
            raise InputFileError(
                "zone layers file not found",
                where=str(path),
                hint="generate the sample data or fix data.layers in the zone file",
                msg=msg("error.capacity.no_layers_file"),
            )
        names = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
        tables = {}
        for layer in ("substations", "water"):
            tables[layer] = (
                pyogrio.read_dataframe(path, layer=layer, read_geometry=False) if layer in names else None
            )
        return cls.from_layers(
            zone,
            tables["substations"],
            tables["water"],
            power_factor=power_factor,
            wastewater_ratio=wastewater_ratio,
            source=f"{path.name}: substations, water",
        )

    def copy(self) -> CapacityLedger:
        """Return an independent copy (facilities and records copied, the zone shared)."""
        return CapacityLedger(
            self.zone,
            {k: replace(f) for k, f in self.facilities.items()},
            power_factor=self.power_factor,
            wastewater_ratio=self.wastewater_ratio,
            source=self.source,
            admitted=list(self.admitted),
        )

    # ---- questions

    def demand(self, project: Project) -> Demand:
        """Return the project's power (MVA), water and wastewater (m³/d) demand."""
        power = None if project.power_kw is None else project.power_kw / 1000.0 / self.power_factor
        water = project.water_m3_per_day
        waste = None if water is None else water * self.wastewater_ratio
        return Demand(power, water, waste)

    def supply(self, park_id: str, service: Service) -> Supply:
        """Return the spare capacity of ``service`` for a park, or the reason it is unknown."""
        park = next((p for p in self.zone.parks if p.id == park_id), None)
        if park is None:
            known = [p.id for p in self.zone.parks]
            raise NotFoundError(
                f"park {park_id!r} is not a park of zone {self.zone.zone.id}",
                where="CapacityLedger",
                hint=f"parks: {known}",
                msg=msg("error.capacity.unknown_park", park=park_id, zone=self.zone.zone.id, known=known),
            )
        if service == "power":
            names = [park.services.substation] if park.services.substation else []
        elif service == "water":
            names = list(park.services.water)
        else:
            names = [park.services.wastewater_plant] if park.services.wastewater_plant else []
        if not names:
            what = msg(FACILITY_KIND_IDS[service])
            return Supply(
                service, None, (), msg("capacity.no_facility", park=Name(park.name, park.name_en), what=what)
            )
        spare, used_names, problems = 0.0, [], []
        for name in names:
            fac = self.facilities.get(name)
            if fac is None:
                problems.append(msg("capacity.not_in_layer", name=name, layer=self.source))
            elif not fac.in_service:
                status = (
                    msg(FACILITY_STATUS_IDS[fac.status]) if fac.status in FACILITY_STATUS_IDS else fac.status
                )
                problems.append(msg("capacity.not_in_service", name=name, status=status))
            elif fac.spare is None:
                problems.append(msg("capacity.no_capacity", name=name))
            else:
                spare += fac.spare
                used_names.append(name)
        if not used_names:
            return Supply(service, None, tuple(names), joined(problems, "semicolon"))
        return Supply(service, spare, tuple(used_names))

    def fits(self, park_id: str, project: Project) -> dict[Service, bool | None]:
        """Return, per service, whether the demand fits the spare capacity (None: unknown)."""
        demand = self.demand(project)
        out: dict[Service, bool | None] = {}
        for service in ("power", "water", "wastewater"):
            need, sup = demand.of(service), self.supply(park_id, service)
            out[service] = None if need is None or sup.spare is None else need <= sup.spare + 1e-9
        return out

    def park_name(self, park_id: str) -> Name | str:
        """Return a park's name in each language (its id when the zone has no such park)."""
        park = next((p for p in self.zone.parks if p.id == park_id), None)
        return park_id if park is None else Name(park.name, park.name_en)

    def admitted_in(self, park_id: str) -> list[AdmittedProject]:
        """Return the projects admitted so far in ``park_id``, in admission order."""
        return [a for a in self.admitted if a.park == park_id]

    # ---- draw-down

    def admit(
        self,
        park_id: str,
        project: Project,
        parcel_ids: tuple[str, ...] | list[str] = (),
        *,
        force: bool = False,
    ) -> AdmittedProject:
        """Record ``project`` as admitted in ``park_id`` and draw its demand from the facilities.

        Returns the record. Raises ConflictError, changing nothing, when a known demand exceeds a
        known spare capacity, unless ``force`` (replaying projects admitted earlier): then the
        whole demand is drawn and the last facility's spare goes below zero. Where a demand or
        capacity is unknown nothing is drawn."""
        demand = self.demand(project)
        fits = self.fits(park_id, project)
        over = [s for s in SERVICES if fits[s] is False]
        if over and not force:
            details = ", ".join(
                f"{s}: needs {demand.of(s):.2f} {SERVICE_UNITS[s]}, spare {self.supply(park_id, s).spare:.2f}"
                for s in over
            )
            shortfalls = [
                msg(
                    "capacity.shortfall",
                    what=msg(DEMAND_IDS[s]),
                    need=f"{demand.of(s):.2f}",
                    spare=f"{self.supply(park_id, s).spare:.2f}",
                    unit=SERVICE_UNITS[s],
                )
                for s in over
            ]
            raise ConflictError(
                f"project {project.name!r} does not fit the spare capacity of {park_id}: {details}",
                where="CapacityLedger.admit",
                hint="check the project first; admit only projects whose capacity rules pass",
                msg=msg(
                    "error.capacity.does_not_fit",
                    project=project.name,
                    park=self.park_name(park_id),
                    shortfalls=joined(shortfalls, "semicolon"),
                ),
            )
        drawn: dict[str, float] = {}
        for service in ("power", "water", "wastewater"):
            need = demand.of(service)
            sup = self.supply(park_id, service)
            if need is None or sup.spare is None:
                continue
            for i, name in enumerate(sup.facilities):  # fill the first facility's spare first
                fac = self.facilities[name]
                last = i == len(sup.facilities) - 1
                take = need if force and last else min(need, max(fac.spare or 0.0, 0.0))
                if take > 0:
                    fac.used += take
                    drawn[name] = drawn.get(name, 0.0) + take
                    need -= take
                if need <= 1e-12:
                    break
        record = AdmittedProject(project.name, park_id, tuple(parcel_ids), demand, drawn)
        self.admitted.append(record)
        return record


def _require(df: pd.DataFrame, fields: tuple[str, ...], layer: str) -> None:
    missing = [f for f in fields if f not in df.columns]
    if missing:
        raise SchemaError(
            f"layer {layer!r} lacks field(s) {missing}",
            where=layer,
            hint=f"the {layer} layer needs {list(fields)} (docs/architecture.md)",
            msg=msg("error.capacity.fields", layer=layer, missing=missing, fields=list(fields)),
        )


def _capacity(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SchemaError(
            f"{value!r} is not a number", where=where, msg=msg("error.capacity.not_number", value=repr(value))
        ) from None
    if not math.isfinite(x) or x < 0:
        raise SchemaError(
            f"{value!r} must be a finite number ≥ 0",
            where=where,
            msg=msg("error.capacity.negative", value=repr(value)),
        )
    return x
