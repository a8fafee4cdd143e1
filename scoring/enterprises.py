"""A zone's existing enterprises as data: the plan's table of them (表2-1 开发区现有企业汇总表
for Jiaokou), in a YAML file the zone file points to (``data.enterprises``).

:func:`load_enterprises` reads and validates it: every row carries ``source``; 序号 and names
are unique; each row's ``park`` is a park of the zone. Cells the table leaves as "-" are null.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from gis.errors import ConfigError
from gis.messages import msg
from scoring.config_base import ConfigModel, NonNeg, Slug, Source, read_yaml, validate
from scoring.zone import ZoneConfig, load_zone, zone_data_path


class ExistingEnterprise(ConfigModel):
    """One row of the table: an enterprise already on the zone's land."""

    number: Annotated[int, Field(ge=1, description="序号 in the table")]
    name: str = Field(min_length=1, description="企业名称 as printed")
    product: str | None = Field(default=None, description="主要产品; null where the table has '-'")
    scale: str | None = Field(default=None, description="规模 as printed; null where the table has '-'")
    area_mu: NonNeg | None = Field(default=None, description="占地面积 (亩); null where the table has '-'")
    park: Slug = Field(description="id of the park (zone file) the enterprise is in")
    source: Source


class EnterpriseTable(ConfigModel):
    """The file: the table's title, where it comes from, and its rows."""

    table: str = Field(description="the table's title, e.g. 表2-1 开发区现有企业汇总表")
    source: Source
    enterprises: list[ExistingEnterprise] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> EnterpriseTable:
        for field in ("number", "name"):
            values = [getattr(e, field) for e in self.enterprises]
            dupes = sorted({v for v in values if values.count(v) > 1}, key=str)
            if dupes:
                raise ValueError(f"enterprise {field}s must be unique, repeated: {dupes}")
        return self

    def by_number(self, number: int) -> ExistingEnterprise:
        """Return the row with 序号 ``number`` (StopIteration if there is none)."""
        return next(e for e in self.enterprises if e.number == number)


def load_enterprises(zone_file: Path | str, zone: ZoneConfig | None = None) -> EnterpriseTable | None:
    """Return the existing enterprises of the zone in ``zone_file`` (its ``data.enterprises``
    file, relative to the zone file), or None when the zone names no such file. ``zone`` is the
    already loaded zone file, if at hand. ConfigError when the file is missing or invalid, or a
    row names a park the zone does not have."""
    zone = zone if zone is not None else load_zone(zone_file)
    if zone.data.enterprises is None:
        return None
    path = zone_data_path(zone_file, zone.data.enterprises)
    hint = f"fix data.enterprises in {zone_file} or create the file"
    data = read_yaml(path, "enterprises file", hint)
    if not isinstance(data, dict):
        raise ConfigError(
            "the enterprises file must be a YAML mapping with table, source, enterprises",
            where=str(path),
            msg=msg("error.enterprises.not_mapping"),
        )
    table = validate(EnterpriseTable, data, path, "the enterprises file")
    parks = {p.id for p in zone.parks}
    bad = [
        f"enterprises.{i}.park: {e.park!r}" for i, e in enumerate(table.enterprises) if e.park not in parks
    ]
    if bad:
        raise ConfigError(
            f"not a park of zone {zone.zone.id} ({', '.join(sorted(parks))}): {'; '.join(bad)}",
            where=str(path),
            msg=msg("error.enterprises.unknown_park", zone=zone.zone.id, parks=sorted(parks), rows=bad),
        )
    return table
