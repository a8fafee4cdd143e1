"""The building blocks of the admission rules: a rule's outcome, the rule record, what a rule
reads, and the one helper that compares a value against a threshold.

A rule (:class:`Rule`) has an id, a label (message id of its short name, ``rule.<id>``), the inputs it reads
(project fields, parcel columns, ledger), where its threshold comes from, the message ids it may
return and a function from :class:`RuleInputs` to its :class:`RuleResult` (or ``None`` when it
does not apply). Outcomes carry messages (:class:`gis.messages.Message`: id + parameters), never
text: the edge renders them in the user's language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from gis.messages import Joined, Message, Name
from scoring.capacity import CapacityLedger
from scoring.industry import Classification
from scoring.project import Project
from scoring.site import Site
from scoring.thresholds import JustifiedArea, Thresholds
from scoring.zone import ZoneConfig

Status = Literal["pass", "fail", "review"]
SEVERITY: dict[str, int] = {"pass": 0, "review": 1, "fail": 2}
#: Tolerance of the comparisons (values within it of a threshold meet it).
EPS = 1e-9

#: Something shown to people: a message, a name per language, or plain data.
Shown = Message | Name | Joined | str


def worst(statuses: list[str] | tuple[str, ...]) -> Status:
    """Return the worst status (fail > review > pass); "pass" for none."""
    return cast(Status, max(statuses, key=SEVERITY.__getitem__, default="pass"))


def fmt(x: float | None, nd: int = 2) -> str:
    """Return a number with at most ``nd`` decimals and no trailing zeros ("—" for None)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{x:.{nd}f}".rstrip("0").rstrip(".") if nd > 0 else f"{x:.0f}"
    return "0" if s in {"-0", ""} else s


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome on one site: the measured ``value`` against the ``threshold`` (in
    ``unit``), where the threshold comes from (``source``) and the ``message`` saying so."""

    rule: str
    status: Status
    value: Any
    threshold: Any
    unit: Shown | None
    source: Shown
    message: Message
    #: "warning" for a pass that a planner must see (a partial constraint), else None.
    level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON data whose texts are still messages (render at the edge)."""
        return {
            "rule": self.rule,
            "status": self.status,
            "value": _jsonable(self.value),
            "threshold": _jsonable(self.threshold),
            "unit": self.unit,
            "source": self.source,
            "message": self.message,
            "level": self.level,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 4)
    if hasattr(v, "item"):  # numpy scalars
        return _jsonable(v.item())
    return v


@dataclass(frozen=True)
class RuleInputs:
    """Everything a rule may read for one project on one site."""

    zone: ZoneConfig
    project: Project
    site: Site
    classification: Classification
    thresholds: Thresholds
    justified: JustifiedArea | None
    ledger: CapacityLedger | None
    #: The land basis (:class:`scoring.land.LandBasis`; typed Any here, since scoring.land
    #: builds on this module) the area rules divide by.
    land: Any = None


RuleFn = Callable[[RuleInputs], "RuleResult | None"]


@dataclass(frozen=True)
class Rule:
    """An admission rule: ``id``; ``label`` (message id of its short name); the ``inputs`` it
    reads; where its ``threshold`` comes from; the ``messages`` (ids) it may return; and
    ``check`` (its outcome, None when the rule does not apply to the project)."""

    id: str
    label: str
    inputs: tuple[str, ...]
    threshold: str
    messages: tuple[str, ...]
    check: RuleFn
    #: True when the rule can only pass or ask for review (never fail).
    review_only: bool = False


def against(
    rule: str,
    value: float,
    threshold: float,
    *,
    unit: Shown | None,
    source: Shown,
    ids: tuple[str, str],
    params: Mapping[str, Any],
    at_most: bool = False,
    below: Status = "fail",
) -> RuleResult:
    """Return the outcome of ``value`` against ``threshold``: "pass" when ``value ≥ threshold``
    (``value ≤ threshold`` with ``at_most``; within :data:`EPS`), else ``below``.

    ``ids`` are the message ids (met, not met); both get ``params``."""
    met = value <= threshold + EPS if at_most else value + EPS >= threshold
    return RuleResult(
        rule,
        "pass" if met else below,
        value,
        threshold,
        unit,
        source,
        Message(ids[0] if met else ids[1], params),
    )
