"""The dry-run report: what importing a zone's own files would do, before anything is written.

A :class:`DryRunReport` is a list of :class:`ReportItem` — each a catalogue message
(:class:`gis.messages.Message`, texts in ``app/locale/<lang>/import.po``) with a level
(``error`` blocks the import, ``warning`` asks for a look, ``info`` says what happens), the
section it belongs to (a layer's name, ``areas``, ``problems``, ``dem``, ``outcome``) and, for
a problem on the ground, its geometry in lon/lat (GeoJSON, CRS84) to draw on a map. The CLI
prints it (:meth:`DryRunReport.lines`), the API and web page take :meth:`DryRunReport.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gis.messages import Message

Level = Literal["error", "warning", "info"]

#: Sections in the order they are shown.
SECTIONS = (
    "parks",
    "clusters",
    "parcels",
    "roads",
    "rivers",
    "substations",
    "water",
    "places",
    "areas",
    "problems",
    "dem",
    "outcome",
)


@dataclass
class ReportItem:
    """One line of the report: level, section, message, and where on the ground (CRS84
    GeoJSON geometry) with the ids of the features concerned and the problem's kind."""

    level: Level
    section: str
    message: Message
    geometry: dict[str, Any] | None = None
    ids: tuple[str, ...] = ()
    kind: str | None = None


@dataclass
class DryRunReport:
    """The dry run's findings for zone ``zone_id`` (computation CRS ``zone_crs``): counts of
    features per layer (as they would be imported) and the items."""

    zone_id: str
    zone_crs: str
    counts: dict[str, int] = field(default_factory=dict)
    items: list[ReportItem] = field(default_factory=list)

    def add(
        self,
        level: Level,
        section: str,
        message: Message,
        *,
        geometry: dict[str, Any] | None = None,
        ids: tuple[str, ...] = (),
        kind: str | None = None,
    ) -> None:
        """Append an item."""
        self.items.append(ReportItem(level, section, message, geometry, ids, kind))

    @property
    def ok(self) -> bool:
        """True when no item is an error: the import would go ahead."""
        return not any(i.level == "error" for i in self.items)

    def count(self, level: Level) -> int:
        """How many items have ``level``."""
        return sum(1 for i in self.items if i.level == level)

    def sections(self) -> list[str]:
        """The sections that have items, in display order."""
        present = {i.section for i in self.items}
        return [s for s in SECTIONS if s in present] + sorted(present - set(SECTIONS))

    def lines(self, lang: str = "zh") -> list[tuple[Level | Literal["heading"], str]]:
        """Return ``(level or "heading", text)`` pairs rendered in ``lang``, section by section."""
        from app.i18n import render  # the catalogue is the edge's

        out: list[tuple[Level | Literal["heading"], str]] = []
        for section in self.sections():
            out.append(("heading", render(_section_title(section), lang)))
            out += [(i.level, render(i.message, lang).strip()) for i in self.items if i.section == section]
        return out

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """Return the report as JSON-ready data: ``ok``, counts per layer and level, items with
        their texts rendered in ``lang`` (and message ids), and the problems on the ground as a
        GeoJSON FeatureCollection (CRS84) whose features carry ``item`` (the item's position),
        ``kind``, ``level``, ``ids`` and ``text``."""
        from app.i18n import render

        items = [
            {
                "level": i.level,
                "section": i.section,
                "id": i.message.id,
                "text": render(i.message, lang).strip(),
                "ids": list(i.ids),
                "kind": i.kind,
            }
            for i in self.items
        ]
        features = [
            {
                "type": "Feature",
                "geometry": i.geometry,
                "properties": {
                    "item": n,
                    "kind": i.kind,
                    "level": i.level,
                    "ids": list(i.ids),
                    "text": render(i.message, lang).strip(),
                },
            }
            for n, i in enumerate(self.items)
            if i.geometry is not None
        ]
        return {
            "zone_id": self.zone_id,
            "zone_crs": self.zone_crs,
            "ok": self.ok,
            "counts": dict(self.counts),
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "sections": [{"section": s, "title": render(_section_title(s), lang)} for s in self.sections()],
            "items": items,
            "problems": {"type": "FeatureCollection", "features": features},
        }


def _section_title(section: str) -> Message:
    if section in ("areas", "problems", "dem", "outcome"):
        return Message(f"import.section.{section}", {})
    return Message("import.section.layer", {"layer": Message(f"import.layer_name.{section}", {})})
