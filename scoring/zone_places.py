"""Where a zone lies, as its plan says: the county's extent and seat (``county`` in the zone
file) and the landmarks a park's boundary is drawn against (``parks[].landmarks``).

These are descriptive facts: scoring does not use them; the sample generator
(:mod:`app.sample`) places its illustrative parks by them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from scoring.config_base import ConfigModel, NonNeg, Slug, Source

_DMS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*°\s*(?:(\d+(?:\.\d+)?)\s*[′']\s*)?(?:(\d+(?:\.\d+)?)\s*[″\"]\s*)?$")


def parse_degrees(v: object) -> object:
    """Return an angle written as degrees and minutes (``"111°03′"``, ``"36°43'30\\""``) as
    decimal degrees; numbers pass through, anything else is left for validation to refuse."""
    if isinstance(v, str):
        m = _DMS.match(v)
        if m is None:
            raise ValueError(f"not an angle like 111°03′ or a number of degrees: {v!r}")
        deg, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
        if minutes >= 60 or seconds >= 60:
            raise ValueError(f"minutes and seconds must be below 60: {v!r}")
        return deg + minutes / 60 + seconds / 3600
    return v


Longitude = Annotated[float, Field(ge=-180, le=180)]
Latitude = Annotated[float, Field(ge=-90, le=90)]


class LonLatBounds(ConfigModel):
    """An extent in degrees (WGS 84 / CGCS2000 longitude and latitude); each side may be written
    as the plan prints it, e.g. ``"111°03′"``."""

    west: Longitude
    south: Latitude
    east: Longitude
    north: Latitude

    @field_validator("west", "south", "east", "north", mode="before")
    @classmethod
    def _degrees(cls, v: object) -> object:
        return parse_degrees(v)

    @model_validator(mode="after")
    def _ordered(self) -> LonLatBounds:
        if not (self.west < self.east and self.south < self.north):
            raise ValueError("west must be less than east and south less than north")
        return self

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Return ``(west, south, east, north)`` in decimal degrees."""
        return (self.west, self.south, self.east, self.north)


class Place(ConfigModel):
    """A named point, e.g. the county seat; ``lonlat`` in decimal degrees."""

    name: str
    town: str | None = None
    lonlat: tuple[Longitude, Latitude]
    source: Source


class County(ConfigModel):
    """The county the zone lies in: its extent and its seat."""

    name: str
    bounds: LonLatBounds
    seat: Place | None = None
    source: Source


class Landmark(ConfigModel):
    """A place the plan locates a park against, e.g. the dam its north boundary lies 350 m
    beyond (``direction`` north), or the county seat it is about 10 km from. ``note`` holds the
    plan's words."""

    name: str
    kind: Slug = Field(description="e.g. reservoir_dam, county_seat")
    distance_m: NonNeg = Field(description="distance between the park (boundary) and the landmark, m")
    direction: Literal["north", "south", "east", "west"] | None = Field(
        default=None, description="side of the park the landmark lies on, where the plan says"
    )
    note: str | None = None
    source: Source
