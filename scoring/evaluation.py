"""亩均效益综合评价: a year's figures in, per enterprise the items, score, rank and class out.

The method (:class:`scoring.evaluation_method.EvaluationMethod`) is the zone's data. For each
enterprise in scope (规上 all; 规下 on at least ``scope.below_min_mu`` 亩):

- each indicator's value = scale × numerator ÷ denominator of its figures (e.g. 亩均税收 =
  税收 ÷ 用地面积, 万元/亩); missing when a figure is missing or the denominator is 0 with a
  numerator of 0 too; a denominator of 0 under a positive numerator (no energy or no emissions
  at all) reaches the cap;
- points = weight × min(value ÷ benchmark, cap); a missing item scores 0 (``missing: zero``);
- score = Σ points, rounded to 0.01 before ranking (so figures equal to the cent tie).

Benchmarks are set in the file or derived: factor × the group's zone value of the indicator
(Σ numerator ÷ Σ denominator over the group's ranked enterprises — in scope, not exempt — with
both figures) in the evaluated year or the year before.

规上 and 规下 are ranked apart. Exempt enterprises (producing fewer than
``exemptions.producing_years`` years, or of an exempt kind such as 公用事业) are scored and
listed with class ``T`` but not ranked. Ranks are competition ranks: equal scores share a rank
and the next rank skips (1, 2, 2, 4); within a tie the list is ordered by name. The class of an
enterprise follows the share of its group ranked strictly ahead of it, (rank − 1) ÷ n: below
0.20 → A, below 0.60 → B, below 0.95 → C, else D (the bands are the method's ``classes``); tied
enterprises therefore always share a class. Enterprises out of scope are listed with scope
``out`` and no score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gis.errors import InputFileError
from gis.messages import msg
from scoring.evaluation_figures import Figures
from scoring.evaluation_method import GROUPS, EvaluationMethod, Indicator


@dataclass(frozen=True)
class Item:
    """One indicator of one enterprise: value and benchmark in the indicator's unit (None when
    missing), its weight and the points it scored."""

    value: float | None
    benchmark: float
    weight: float
    points: float

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"value", "benchmark", "weight", "points"}`` (numbers rounded to 4 places)."""
        return {
            "value": None if self.value is None else _r(self.value, 4),
            "benchmark": _r(self.benchmark, 4),
            "weight": self.weight,
            "points": _r(self.points, 2),
        }


@dataclass(frozen=True)
class EnterpriseResult:
    """One enterprise's evaluation: ``scope`` is ``above`` (规上), ``below`` (规下) or ``out``;
    ``exempt`` says why it is class T (``new`` or ``kind``), None otherwise."""

    name: str
    scope: str
    score: float | None
    rank: int | None
    klass: str | None
    exempt: str | None
    land_mu: float
    items: dict[str, Item] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the enterprise as the JSON of ``parksite evaluate --json``."""
        return {
            "name": self.name,
            "scope": self.scope,
            "score": self.score,
            "rank": self.rank,
            "class": self.klass,
            "exempt": self.exempt,
            "land_mu": self.land_mu,
            "items": {k: v.to_dict() for k, v in self.items.items()},
        }


@dataclass(frozen=True)
class Evaluation:
    """The year's evaluation: the benchmarks used (group → indicator → value) and the
    enterprises in order: 规上 then 规下 by rank (exempt after the ranked, then out of scope),
    ties by name."""

    year: int
    method: EvaluationMethod
    benchmarks: dict[str, dict[str, float | None]]
    enterprises: list[EnterpriseResult]

    def class_counts(self) -> dict[str, int]:
        """Return {class → number of enterprises} for A, B, C, D and T (zeros included)."""
        counts = {c.id: 0 for c in self.method.classes} | {"T": 0}
        for e in self.enterprises:
            if e.klass is not None:
                counts[e.klass] = counts.get(e.klass, 0) + 1
        return counts

    def d_list(self) -> list[EnterpriseResult]:
        """Return the enterprises of class D, lowest score last."""
        return [e for e in self.enterprises if e.klass == "D"]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON of ``parksite evaluate --json`` and ``GET /api/v1/evaluation``."""
        m = self.method
        return {
            "year": self.year,
            "method": {
                "title": m.title,
                "source": m.source,
                "indicators": [
                    {
                        "id": i.id,
                        "group": g,
                        "name": i.name,
                        "name_en": i.name_en,
                        "weight": i.weight,
                        "benchmark": _opt(self.benchmarks[g][i.id]),
                        "cap": m.cap,
                        "unit": i.unit,
                        "unit_en": i.unit_en or i.unit,
                        "source": i.benchmark.source,
                    }
                    for g in GROUPS
                    for i in m.indicators[g]
                ],
                "classes": [
                    {
                        "id": c.id,
                        "upto": c.upto,
                        "name": c.name,
                        "name_en": c.name_en,
                        "policy": c.policy,
                        "policy_en": c.policy_en,
                    }
                    for c in m.classes
                ],
                "class_counts": self.class_counts(),
            },
            "enterprises": [e.to_dict() for e in self.enterprises],
        }


def _r(x: float, places: int) -> float:
    return round(x, places)


def _opt(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _scope(f: Figures, method: EvaluationMethod) -> str:
    if f.scale == "above":
        return "above"
    return "below" if f.land_mu >= method.scope.below_min_mu else "out"


def _exempt(f: Figures, year: int, method: EvaluationMethod) -> str | None:
    if f.kind is not None and f.kind in method.exemptions.kinds:
        return "kind"
    if f.producing_year is not None and year - f.producing_year < method.exemptions.producing_years:
        return "new"
    return None


def _value(f: Figures, ind: Indicator) -> float | None:
    """Return the indicator's value for ``f``; None when missing; inf for x ÷ 0 with x > 0."""
    num, den = f.get(ind.numerator), f.get(ind.denominator)
    if num is None or den is None:
        return None
    if den == 0:
        return math.inf if num > 0 else None
    return ind.scale * num / den


def zone_value(figures: Sequence[Figures], ind: Indicator) -> float | None:
    """Return the zone's value of ``ind`` over ``figures``: scale × Σ numerator ÷ Σ denominator
    over the records with both figures; None when there is none or Σ denominator is 0."""
    pairs = [(f.get(ind.numerator), f.get(ind.denominator)) for f in figures]
    both = [(n, d) for n, d in pairs if n is not None and d is not None]
    den = sum(d for _, d in both)
    if not both or den == 0:
        return None
    return ind.scale * sum(n for n, _ in both) / den


def benchmarks(
    method: EvaluationMethod, year: int, by_year: Mapping[int, Sequence[Figures]]
) -> dict[str, dict[str, float | None]]:
    """Return group → indicator id → benchmark for ``year``. A derived benchmark uses the group's
    in-scope, not exempt figures of ``year`` + ``year_offset``. InputFileError when that year has no figures
    or gives no zone value (the benchmark cannot be derived) — unless the group has nobody to
    evaluate in ``year`` (its benchmark is then None where it cannot be derived)."""
    out: dict[str, dict[str, float | None]] = {}
    for g in GROUPS:
        out[g] = {}
        needed = any(_scope(f, method) == g for f in by_year.get(year, ()))
        for ind in method.indicators[g]:
            b = ind.benchmark
            if b.value is not None:
                out[g][ind.id] = b.value
                continue
            base_year = year + b.year_offset
            pool = [
                f
                for f in by_year.get(base_year, ())
                if _scope(f, method) == g and _exempt(f, base_year, method) is None
            ]
            zv = zone_value(pool, ind)
            if not needed:  # nobody of the group to evaluate: no benchmark, no error
                out[g][ind.id] = None if zv is None or b.factor is None else b.factor * zv
                continue
            if zv is None or zv <= 0 or b.factor is None:
                raise InputFileError(
                    f"cannot derive the benchmark of {ind.id} ({g}) from the figures of {base_year}",
                    where=f"{year}",
                    hint="import that year's figures or set the benchmark's value in the method",
                    msg=msg("error.evaluation.no_benchmark", indicator=ind.name, year=base_year),
                )
            out[g][ind.id] = b.factor * zv
    return out


def _items(
    f: Figures, inds: Sequence[Indicator], bench: Mapping[str, float | None], cap: float
) -> dict[str, Item]:
    items = {}
    for ind in inds:
        value, b = _value(f, ind), bench[ind.id]
        assert b is not None  # derived for every group with someone to evaluate
        points = 0.0 if value is None else ind.weight * min(value / b, cap)
        items[ind.id] = Item(value if value is None or math.isfinite(value) else None, b, ind.weight, points)
    return items


def evaluate(method: EvaluationMethod, year: int, by_year: Mapping[int, Sequence[Figures]]) -> Evaluation:
    """Return the evaluation of ``year`` from ``by_year`` (year → figures; other years only serve
    derived benchmarks). InputFileError when ``year`` has no figures."""
    figures = list(by_year.get(year, ()))
    if not figures:
        raise InputFileError(
            f"no figures for {year}",
            where=str(year),
            hint="import the year's figures first",
            msg=msg("error.evaluation.no_figures", year=year),
        )
    bench = benchmarks(method, year, by_year)
    results: list[EnterpriseResult] = []
    for g in GROUPS:
        scored = []
        for f in figures:
            if _scope(f, method) != g:
                continue
            items = _items(f, method.indicators[g], bench[g], method.cap)
            score = round(sum(i.points for i in items.values()), 2)
            scored.append((f, score, items, _exempt(f, year, method)))
        ranked = sorted([s for s in scored if s[3] is None], key=lambda s: (-s[1], s[0].enterprise))
        n = len(ranked)
        rank = 0
        for pos, (f, score, items, _) in enumerate(ranked):
            if pos == 0 or score != ranked[pos - 1][1]:
                rank = pos + 1
            klass = method.class_of((rank - 1) / n)
            results.append(EnterpriseResult(f.enterprise, g, score, rank, klass, None, f.land_mu, items))
        for f, score, items, why in sorted(
            [s for s in scored if s[3] is not None], key=lambda s: (-s[1], s[0].enterprise)
        ):
            results.append(EnterpriseResult(f.enterprise, g, score, None, "T", why, f.land_mu, items))
    for f in sorted((f for f in figures if _scope(f, method) == "out"), key=lambda f: f.enterprise):
        results.append(EnterpriseResult(f.enterprise, "out", None, None, None, None, f.land_mu))
    return Evaluation(year, method, bench, results)
