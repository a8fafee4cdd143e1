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

from gis.messages import Joined, Message, Name, joined, msg
from scoring.capacity import CapacityLedger
from scoring.industry import Classification
from scoring.project import FIELD_LABEL_IDS, Project
from scoring.site import Site
from scoring.thresholds import JustifiedArea, Thresholds
from scoring.zone import ZoneConfig

#: A rule's outcome and a check's verdict: ``pass``; ``review`` (a person must judge: 规模控制, the
#: catch-all, reserve land …); ``needs_data`` (the project did not declare a figure the rule
#: needs — the outcome names the field to fill); ``fail``.
Status = Literal["pass", "needs_data", "review", "fail"]
#: Every status, mildest first (the order of :data:`SEVERITY`).
STATUSES: tuple[Status, ...] = ("pass", "review", "needs_data", "fail")
#: How bad a status is: the verdict is the worst rule (fail > needs_data > review > pass).
SEVERITY: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
#: The message id naming each status (需复核, 需补充资料 …).
STATUS_IDS: dict[str, str] = {s: f"status.{s}" for s in STATUSES}
#: Tolerance of the comparisons (values within it of a threshold meet it).
EPS = 1e-9

#: Something shown to people: a message, a name per language, or plain data.
Shown = Message | Name | Joined | str


def worst(statuses: list[str] | tuple[str, ...]) -> Status:
    """Return the worst status (fail > needs_data > review > pass); "pass" for none."""
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
    #: The project fields to fill (``land_mu`` …) when the status is ``needs_data``.
    fields: tuple[str, ...] = ()
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
            "fields": list(self.fields),
            "level": self.level,
        }


def field_labels(fields: tuple[str, ...] | list[str]) -> Joined:
    """Return the form labels of project ``fields`` (用地需求（亩） …) as a list in a sentence."""
    return joined([msg(FIELD_LABEL_IDS[f]) for f in fields])


def needs_data(
    rule: str,
    fields: tuple[str, ...],
    *,
    value: Any = None,
    threshold: Any = None,
    unit: Shown | None = None,
    source: Shown,
    message: str,
    params: Mapping[str, Any] | None = None,
) -> RuleResult:
    """Return a ``needs_data`` outcome: the project did not declare ``fields``; ``message`` (an id)
    gets ``params`` and ``field`` (the fields' form labels, in the user's language at the edge)."""
    return RuleResult(
        rule,
        "needs_data",
        value,
        threshold,
        unit,
        source,
        msg(message, field=field_labels(fields), **(params or {})),
        fields,
    )


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
    #: The enterprise an expansion belongs to (:class:`scoring.expansion.Expansion`), or None.
    expansion: Any = None


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
