"""Does this project fit this parcel? The admission rules of the plan, one project × one site.

A *site* is one parcel or a group of adjacent parcels in one cluster (rows of the scored parcel
table: ``parcel_id``, ``park``, ``cluster``, ``status``, ``area_mu``, ``score``, ``excluded``,
``reasons``, ``weakest``). Each rule returns pass / fail / review with the measured value, the
threshold, the unit, its source and a message in Chinese and English; the verdict is the worst
rule (fail > review > pass).

Rules, in order (``rule`` id — source):

* ``positive_list`` — 表9-5: on the list → pass; 规模控制 (e.g. 氧化铝), a listed 产业大类 without a
  二级产业方向, or "其它国家鼓励发展的产业项目" → review; not on the list → fail.
* ``cluster`` — 表8-1: the site's cluster admits the industry/branch → pass; 产业备用地 admits
  encouraged projects under review → review; a cluster whose ``admits`` are not set yet (null:
  drawn on the map without them) → review, "admits nothing yet"; otherwise fail.
* ``investment_intensity``, ``output_intensity`` — 表9-6: investment (output) ÷ site area in 亩 ≥
  the industry's threshold. Industries without a 表9-6 row (e.g. 高科技服务业) → review; the
  表6-1 targets are shown as the reference threshold.
* ``online_monitoring``, ``waste_treatment`` — 表9-6: monitoring installed when required; 三废
  达标处理率 ≥ the row's minimum. Undeclared → review.
* ``water_energy`` — only when the project declares energy/water use per 万元: the plan sets no
  number (it refers to industry norms), so it is always "review".
* ``parcel_vacant``, ``site_constraints``, ``suitability`` — every parcel vacant (``reserved``
  land, e.g. the sample's 产业备用地 parcels, → review: it is released only after review;
  ``existing``/``public``, or taken by an admitted project (optional column
  ``admitted_project``: its name) → fail), not excluded by the zone's hard constraints, and scored ≥
  ``scoring.min_score``.
* ``land_demand`` — the site covers the project's declared land demand (``land_mu``).
* ``area_justified`` — the largest area the project can justify is
  ``min(investment ÷ investment threshold, output ÷ output threshold)`` 亩. A larger site is
  "review" with the excess stated, never "fail" by itself: with a 表9-6 row the intensity rules
  already fail on such a site, and this rule says by how much the site is oversized.
* ``power_capacity``, ``water_supply``, ``wastewater_capacity`` — the project's load and water
  fit the spare capacity of the park's substation, water sources and wastewater plant, from a
  :class:`scoring.capacity.CapacityLedger`; without a ledger, or with no facility in service,
  → review with the reason.

JSON (:meth:`CheckResult.to_dict`): ``{"verdict", "max_justified_mu", "max_justified_basis",
"parcel_ids", "area_mu", "project", "rules": [{"rule", "status", "value", "threshold", "unit",
"source", "message", "message_en"}]}``. ``message`` is in the chosen language (``lang`` "zh" or
"en"); ``message_en`` is always English.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from gis.errors import SchemaError
from scoring.capacity import CapacityLedger, Service, Supply
from scoring.project import Classification, Project, classify_industry
from scoring.zone import Cluster, Park, ZoneConfig

Status = Literal["pass", "fail", "review"]
Lang = Literal["zh", "en"]
SEVERITY: dict[str, int] = {"pass": 0, "review": 1, "fail": 2}

#: Columns a scored parcel table must have for the check.
PARCEL_COLUMNS: tuple[str, ...] = ("parcel_id", "park", "cluster", "status", "area_mu", "score", "excluded")

#: Parcel statuses a project may be placed on: ``vacant``, and ``reserved`` (reserve land such as
#: 产业备用地, released only after review — the ``parcel_vacant`` rule says "review").
AVAILABLE_STATUSES: frozenset[str] = frozenset({"vacant", "reserved"})
#: Parcel statuses as the Chinese messages name them.
PARCEL_STATUS_ZH: dict[str, str] = {
    "existing": "已建用地",
    "vacant": "空闲用地",
    "reserved": "预留用地",
    "public": "公共设施用地",
}

#: Rules that can only give "pass" or "review" (never "fail").
REVIEW_ONLY_RULES: frozenset[str] = frozenset({"area_justified", "water_energy"})

_EPS = 1e-9


def worst(statuses: list[str] | tuple[str, ...]) -> Status:
    """Return the worst status (fail > review > pass); "pass" for none."""
    return max(statuses, key=SEVERITY.__getitem__, default="pass")  # type: ignore[return-value]


def fmt(x: float | None, nd: int = 2) -> str:
    """Return a number with at most ``nd`` decimals and no trailing zeros ("—" for None)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    s = f"{x:.{nd}f}".rstrip("0").rstrip(".") if nd > 0 else f"{x:.0f}"
    return "0" if s in {"-0", ""} else s


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome on one site."""

    rule: str
    status: Status
    value: Any
    threshold: Any
    unit: str | None
    source: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message_en

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status,
            "value": _jsonable(self.value),
            "threshold": _jsonable(self.threshold),
            "unit": self.unit,
            "source": self.source,
            "message": self.message(lang),
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class JustifiedArea:
    """The largest site area (亩) a project's investment and output justify, and on what basis."""

    mu: float
    investment_threshold: float
    output_threshold: float
    basis: str
    reference: bool  # True when the thresholds are 表6-1 reference targets, not a 表9-6 row


@dataclass(frozen=True)
class CheckResult:
    """The rules' outcomes for one project on one site; ``verdict`` is the worst status."""

    project: str
    parcel_ids: tuple[str, ...]
    area_mu: float
    verdict: Status
    justified: JustifiedArea | None
    rules: tuple[RuleResult, ...]
    lang: str = "zh"

    @property
    def max_justified_mu(self) -> float | None:
        return None if self.justified is None else self.justified.mu

    def rule(self, rule_id: str) -> RuleResult:
        """Return the outcome of rule ``rule_id`` (KeyError if the rule was not run)."""
        for r in self.rules:
            if r.rule == rule_id:
                return r
        raise KeyError(rule_id)

    def with_status(self, status: str) -> list[RuleResult]:
        return [r for r in self.rules if r.status == status]

    def failed_rules(self) -> list[str]:
        return [r.rule for r in self.rules if r.status == "fail"]

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        lang = lang or self.lang
        return {
            "project": self.project,
            "parcel_ids": list(self.parcel_ids),
            "area_mu": round(self.area_mu, 4),
            "verdict": self.verdict,
            "max_justified_mu": None if self.justified is None else round(self.justified.mu, 4),
            "max_justified_basis": None if self.justified is None else self.justified.basis,
            "rules": [r.to_dict(lang) for r in self.rules],
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 4)
    if hasattr(v, "item"):  # numpy scalars
        return _jsonable(v.item())
    return v


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Thresholds:
    investment: float | None
    output: float | None
    source: str
    reference: bool


def thresholds_for(zone: ZoneConfig, cls: Classification) -> Thresholds:
    """Return the intensity thresholds (万元/亩) for a classified project: its 表9-6 row, or the
    表6-1 targets as reference (``reference=True``) when the plan gives the industry no row."""
    if cls.condition is not None:
        return Thresholds(
            cls.condition.investment_intensity_wan_per_mu,
            cls.condition.output_intensity_wan_per_mu,
            f"{cls.condition.source} {cls.condition.industry}",
            False,
        )
    if zone.targets is not None:
        return Thresholds(
            zone.targets.investment_intensity_wan_per_mu,
            zone.targets.output_intensity_wan_per_mu,
            f"{zone.targets.source} ({zone.targets.year} reference)",
            True,
        )
    return Thresholds(None, None, "no threshold", True)


def justified_area(
    zone: ZoneConfig, project: Project, cls: Classification | None = None
) -> JustifiedArea | None:
    """Return the largest area (亩) the project's investment and output justify:
    ``min(investment_wan ÷ investment threshold, output_wan ÷ output threshold)``; None when
    neither threshold exists. Thresholds from :func:`thresholds_for`."""
    cls = cls or classify_industry(zone, project)
    th = thresholds_for(zone, cls)
    candidates = []
    if th.investment:
        candidates.append(project.investment_wan / th.investment)
    if th.output:
        candidates.append(project.output_wan / th.output)
    if not candidates:
        return None
    return JustifiedArea(min(candidates), th.investment or 0.0, th.output or 0.0, th.source, th.reference)


# --------------------------------------------------------------------------- the site


@dataclass(frozen=True)
class Site:
    """One parcel or a group of parcels in one cluster, as the rules see it."""

    parcel_ids: tuple[str, ...]
    park: str | None
    cluster: str | None
    area_mu: float
    statuses: tuple[str, ...]
    enterprises: tuple[str | None, ...]
    scores: tuple[float, ...]
    excluded: tuple[Any, ...]
    reasons: tuple[str, ...]
    reasons_en: tuple[str, ...] = ()
    #: Per parcel, the project already admitted on it (optional column ``admitted_project``).
    admitted: tuple[str | None, ...] = ()

    @classmethod
    def from_rows(cls, rows: pd.DataFrame) -> Site:
        """Return the Site of parcel rows; SchemaError if columns are missing or clusters differ."""
        require_parcel_columns(rows)
        return cls.from_records(rows.to_dict("records"))

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> Site:
        """Return the Site of parcel records (dicts with the scored-parcel columns).

        Raises SchemaError for no records, records in more than one cluster, or an area that is
        not a number > 0."""
        if not records:
            raise SchemaError("no parcels given for the site", where="parcels")
        clusters = {_str_or_none(r.get("cluster")) for r in records}
        parks = {_str_or_none(r.get("park")) for r in records}
        if len(clusters) > 1 or len(parks) > 1:
            raise SchemaError(
                f"a group of parcels must lie in one cluster, got {sorted(map(str, clusters))}",
                where="parcels: cluster",
            )
        areas = [_float(r.get("area_mu")) for r in records]
        bad = [r.get("parcel_id") for r, a in zip(records, areas) if not a > 0]
        if bad:
            raise SchemaError(f"area_mu must be a number > 0, bad for {bad}", where="parcels: area_mu")
        many = len(records) > 1

        def collect(col: str) -> tuple[str, ...]:
            return tuple(
                f"{r['parcel_id']}: {t}" if many else t for r in records for t in _reason_list(r.get(col))
            )

        reasons = collect("reasons")
        reasons_en = collect("reasons_en") if any("reasons_en" in r for r in records) else reasons
        return cls(
            parcel_ids=tuple(str(r["parcel_id"]) for r in records),
            park=parks.pop(),
            cluster=clusters.pop(),
            area_mu=float(sum(areas)),
            statuses=tuple(str(r.get("status")) for r in records),
            enterprises=tuple(_str_or_none(r.get("enterprise")) for r in records),
            scores=tuple(_float(r.get("score")) for r in records),
            excluded=tuple(r.get("excluded") for r in records),
            reasons=reasons,
            reasons_en=reasons_en,
            admitted=tuple(_str_or_none(r.get("admitted_project")) for r in records),
        )


def _float(v: Any) -> float:
    """Return ``v`` as a float, NaN when it is missing or not a number."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def require_parcel_columns(parcels: pd.DataFrame) -> None:
    """Raise SchemaError naming the scored-parcel columns ``parcels`` lacks."""
    missing = [c for c in PARCEL_COLUMNS if c not in parcels.columns]
    if missing:
        raise SchemaError(
            f"the parcel table lacks column(s) {missing}",
            where="parcels",
            hint="pass scored parcels (scoring.pipeline.load_scored_parcels)",
        )


def _str_or_none(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return str(v)


def _reason_list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.replace("；", ";").split(";") if s.strip()]
    try:
        return [str(x) for x in v if x]
    except TypeError:
        return [str(v)]


def _truthy(v: Any) -> bool | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, str):
        return v.strip().lower() in {"true", "1", "yes"}
    return bool(v)


# --------------------------------------------------------------------------- the rules


def _r(
    rule: str, status: Status, value: Any, threshold: Any, unit: str | None, source: str, zh: str, en: str
) -> RuleResult:
    return RuleResult(rule, status, value, threshold, unit, source, zh, en)


def unset_admits_message(cl: Cluster, lang: str) -> str:
    """Return the message for a cluster whose admitted industries are not set yet (``admits_unset``)."""
    if lang == "zh":
        return f"{cl.name}（{cl.id}）尚未设定准入产业，需复核：请在地图上为该组团填写准入产业"
    return f"{cl.name_en} ({cl.id}) admits nothing yet: review — set the industries it admits on the map"


def _admit_text(zone: ZoneConfig, cl: Cluster, lang: str) -> str:
    parts = []
    for a in cl.admits or []:
        ind = zone.find_industry(a.industry)
        name = (ind.name if lang == "zh" else ind.name_en) if ind else a.industry
        if a.branches:
            brs = [
                (ind.branch(b).name if lang == "zh" else ind.branch(b).name_en)
                if ind and ind.branch(b)
                else b
                for b in a.branches
            ]
            name += ("（" + "、".join(brs) + "）") if lang == "zh" else " (" + ", ".join(brs) + ")"
        parts.append(name)
    if cl.admits_encouraged_under_review:
        parts.append(
            "国家鼓励发展的产业项目（复核）" if lang == "zh" else "nationally encouraged projects (review)"
        )
    return ("；" if lang == "zh" else "; ").join(parts) or ("无" if lang == "zh" else "none")


def _rule_positive_list(zone: ZoneConfig, project: Project, cls: Classification) -> RuleResult:
    src = zone.positive_list.source.split()[0] if zone.positive_list.source else "表9-5"
    label, label_en = cls.label("zh"), cls.label("en")
    if cls.kind == "listed":
        br = cls.branch
        assert br is not None
        if br.level == "controlled":
            return _r(
                "positive_list",
                "review",
                label,
                br.guidance,
                None,
                br.source,
                f"{label}在正面清单内，但发展导向为“{br.guidance}”：产能与规模需复核",
                f"{label_en} is on the positive list but scale-controlled ({br.guidance}): "
                "capacity and scale need review",
            )
        return _r(
            "positive_list",
            "pass",
            label,
            br.guidance,
            None,
            br.source,
            f"{label}在产业准入正面清单内（发展导向：{br.guidance}）",
            f"{label_en} is on the positive list (guidance: {br.guidance})",
        )
    if cls.kind == "industry_only":
        ind = cls.industry
        assert ind is not None
        listed = "、".join(b.name for b in ind.branches)
        if cls.branch_text:
            return _r(
                "positive_list",
                "fail",
                label,
                listed,
                None,
                ind.source,
                f"“{cls.branch_text}”不是{ind.name}在正面清单上的二级产业方向（清单列有：{listed}）；"
                "清单外产业原则上不予支持",
                f"{cls.branch_text!r} is not a listed direction of {ind.name_en} "
                f"(listed: {', '.join(b.name_en for b in ind.branches)}); "
                "industries outside the list are not supported in principle",
            )
        return _r(
            "positive_list",
            "review",
            label,
            listed,
            None,
            ind.source,
            f"{ind.name}在正面清单内，但未给出二级产业方向（清单列有：{listed}），需复核",
            f"{ind.name_en} is on the positive list but no 二级产业方向 is given "
            f"(listed: {', '.join(b.name_en for b in ind.branches)}); needs review",
        )
    if cls.kind == "encouraged":
        ca = zone.positive_list.catch_all
        name = ca.name if ca else "其它国家鼓励发展的产业项目"
        return _r(
            "positive_list",
            "review",
            name,
            ca.level if ca else "review",
            None,
            ca.source if ca else src,
            f"“{project.encouraged_description}”按“{name}”申报，需逐项复核",
            f"{project.encouraged_description!r} is declared as an other nationally encouraged "
            "project: reviewed case by case",
        )
    text = " / ".join(x for x in (cls.industry_text, cls.branch_text) if x)
    return _r(
        "positive_list",
        "fail",
        text,
        "正面清单",
        None,
        src,
        f"“{text}”不在产业准入正面清单内（{src}），清单外产业原则上不予支持",
        f"{text!r} is not on the positive list ({src}); industries outside the list are "
        "not supported in principle",
    )


def _admitting_clusters(zone: ZoneConfig, cls: Classification) -> list[tuple[Park, Cluster]]:
    out = []
    for park, cl in zone.clusters():
        for a in cl.admits or []:
            if cls.industry is not None and zone.find_industry(a.industry) == cls.industry:
                if a.branches is None or cls.branch is None or cls.branch.name in a.branches:
                    out.append((park, cl))
                    break
    return out


def cluster_admits(zone: ZoneConfig, cl: Cluster, cls: Classification) -> Status:
    """Return whether cluster ``cl`` admits the classified project: pass, review or fail (表8-1)."""
    if cls.kind == "outside":
        return "fail"
    if cls.kind == "industry_only" and cls.branch_text:
        return "fail"  # a listed industry's unlisted direction is outside the list
    entry = None
    if cls.industry is not None:
        entry = next((a for a in cl.admits or [] if zone.find_industry(a.industry) == cls.industry), None)
    if entry is not None:
        if entry.branches is None:
            return "pass"
        if cls.branch is None:
            return "review"
        if cls.branch.name in entry.branches:
            return "pass"
    if cl.admits is None or cl.admits_encouraged_under_review:
        return "review"  # not set yet, or 产业备用地
    return "fail"


def _rule_cluster(zone: ZoneConfig, site: Site, cls: Classification) -> RuleResult:
    if site.cluster is None:
        return _r(
            "cluster",
            "fail",
            None,
            None,
            None,
            "表8-1",
            "地块不在任何功能组团内",
            "the parcel lies in no cluster",
        )
    cl = _cluster_or_error(zone, site.cluster)
    status = cluster_admits(zone, cl, cls)
    admits_zh, admits_en = _admit_text(zone, cl, "zh"), _admit_text(zone, cl, "en")
    label, label_en = cls.label("zh"), cls.label("en")
    where_zh = where_en = ""
    if status != "pass":
        elsewhere = _admitting_clusters(zone, cls)
        where_zh = "、".join(c.name for _, c in elsewhere)
        where_en = ", ".join(f"{c.name_en} ({p.name_en})" for p, c in elsewhere)
    if status == "pass":
        zh = f"{cl.name}接纳{label}"
        en = f"{cl.name_en} admits {label_en}"
    elif status == "review" and cl.admits_unset:
        return _r(
            "cluster",
            status,
            cl.name,
            None,
            None,
            cl.source,
            unset_admits_message(cl, "zh"),
            unset_admits_message(cl, "en"),
        )
    elif status == "review" and cl.admits_encouraged_under_review:
        zh = f"{cl.name}预留给国家鼓励发展的产业项目，{label}需复核后布局"
        en = f"{cl.name_en} is reserved for nationally encouraged projects: {label_en} needs review"
        if where_zh:
            zh += f"；清单内产业宜布局在{where_zh}"
            en += f"; listed industries belong in {where_en}"
    elif status == "review":
        zh = f"{cl.name}只接纳{admits_zh}，项目未给出二级产业方向，需复核"
        en = f"{cl.name_en} admits only {admits_en}; the project gives no 二级产业方向: review"
    else:
        zh = f"{cl.name}不接纳{label}（该组团接纳：{admits_zh}）"
        en = f"{cl.name_en} does not admit {label_en} (it admits: {admits_en})"
        if where_zh:
            zh += f"；可布局于：{where_zh}"
            en += f"; admitted in: {where_en}"
    return _r("cluster", status, cl.name, admits_zh, None, cl.source, zh, en)


def _cluster_or_error(zone: ZoneConfig, cluster_id: str) -> Cluster:
    for _, cl in zone.clusters():
        if cl.id == cluster_id:
            return cl
    raise SchemaError(
        f"cluster {cluster_id!r} is not a cluster of zone {zone.zone.id}",
        where="parcels: cluster",
        hint=f"clusters: {[c.id for _, c in zone.clusters()]}",
    )


def _rules_intensity(project: Project, site: Site, cls: Classification, th: Thresholds) -> list[RuleResult]:
    out = []
    unit = "万元/亩"
    for rule, amount, thr, zh_name, en_name in (
        ("investment_intensity", project.investment_wan, th.investment, "投资强度", "investment intensity"),
        ("output_intensity", project.output_wan, th.output, "产出强度", "output intensity"),
    ):
        value = amount / site.area_mu
        if th.reference:
            ref_zh = f"参考表6-1目标 ≥{fmt(thr)} 万元/亩" if thr else "无参考值"
            ref_en = f"表6-1 reference target ≥{fmt(thr)} 万元/亩" if thr else "no reference"
            out.append(
                _r(
                    rule,
                    "review",
                    value,
                    thr,
                    unit,
                    f"表9-6 (无此行); {th.source}",
                    f"表9-6未给出{cls.label('zh')}的{zh_name}门槛；本项目 {fmt(value)} 万元/亩（{ref_zh}），需复核",
                    f"the plan (表9-6) gives no {en_name} threshold for {cls.label('en')}; the project "
                    f"has {fmt(value)} 万元/亩 ({ref_en}): review",
                )
            )
            continue
        assert thr is not None
        if value + _EPS >= thr:
            out.append(
                _r(
                    rule,
                    "pass",
                    value,
                    thr,
                    unit,
                    th.source,
                    f"{zh_name} {fmt(value)} 万元/亩 ≥ {fmt(thr)} 万元/亩",
                    f"{en_name} {fmt(value)} 万元/亩 ≥ {fmt(thr)} 万元/亩",
                )
            )
        else:
            need = thr * site.area_mu
            out.append(
                _r(
                    rule,
                    "fail",
                    value,
                    thr,
                    unit,
                    th.source,
                    f"{zh_name} {fmt(value)} 万元/亩 < {fmt(thr)} 万元/亩；{fmt(site.area_mu)} 亩需至少 "
                    f"{fmt(need)} 万元",
                    f"{en_name} {fmt(value)} 万元/亩 < {fmt(thr)} 万元/亩; {fmt(site.area_mu)} 亩 "
                    f"needs at least {fmt(need)} 万元",
                )
            )
    return out


def _rules_environment(project: Project, cls: Classification) -> list[RuleResult]:
    cond = cls.condition
    out = []
    if cond is None:
        for rule, zh, en in (
            ("online_monitoring", "主要污染物在线监测", "online pollutant monitoring"),
            ("waste_treatment", "“三废”达标处理率", "三废 treatment rate"),
        ):
            out.append(
                _r(
                    rule,
                    "review",
                    _monitoring_or_pct(project, rule),
                    None,
                    "%" if rule == "waste_treatment" else None,
                    "表9-6 (无此行)",
                    f"表9-6未给出{cls.label('zh')}的{zh}要求，需复核",
                    f"the plan (表9-6) sets no {en} requirement for {cls.label('en')}: review",
                )
            )
        return out

    src = f"{cond.source} {cond.industry}"
    mon = project.online_monitoring
    if not cond.online_monitoring_required:
        out.append(
            _r(
                "online_monitoring",
                "pass",
                mon,
                False,
                None,
                src,
                "该产业不要求安装在线监测",
                "online monitoring is not required for this industry",
            )
        )
    elif mon is None:
        out.append(
            _r(
                "online_monitoring",
                "review",
                None,
                True,
                None,
                src,
                "项目未申报是否安装主要污染物在线监测（表9-6要求安装）",
                "the project does not declare online pollutant monitoring (表9-6 requires it): review",
            )
        )
    elif mon:
        out.append(
            _r(
                "online_monitoring",
                "pass",
                True,
                True,
                None,
                src,
                "已安装主要污染物在线监测（表9-6要求安装）",
                "online pollutant monitoring installed (required by 表9-6)",
            )
        )
    else:
        out.append(
            _r(
                "online_monitoring",
                "fail",
                False,
                True,
                None,
                src,
                "未安装主要污染物在线监测，表9-6要求安装",
                "no online pollutant monitoring; 表9-6 requires it",
            )
        )

    pct, thr = project.waste_treatment_pct, cond.waste_treatment_pct_min
    if pct is None:
        out.append(
            _r(
                "waste_treatment",
                "review",
                None,
                thr,
                "%",
                src,
                f"项目未申报“三废”达标处理率（要求 ≥{fmt(thr)}%）",
                f"the project does not declare its 三废 treatment rate (≥{fmt(thr)} % required): review",
            )
        )
    elif pct + _EPS >= thr:
        out.append(
            _r(
                "waste_treatment",
                "pass",
                pct,
                thr,
                "%",
                src,
                f"“三废”达标处理率 {fmt(pct)}% ≥ {fmt(thr)}%",
                f"三废 treated to standard {fmt(pct)} % ≥ {fmt(thr)} %",
            )
        )
    else:
        out.append(
            _r(
                "waste_treatment",
                "fail",
                pct,
                thr,
                "%",
                src,
                f"“三废”达标处理率 {fmt(pct)}% < {fmt(thr)}%",
                f"三废 treated to standard {fmt(pct)} % < {fmt(thr)} %",
            )
        )
    return out


def _monitoring_or_pct(project: Project, rule: str) -> Any:
    return project.online_monitoring if rule == "online_monitoring" else project.waste_treatment_pct


def _rule_water_energy(project: Project, cls: Classification) -> RuleResult | None:
    if project.energy_tce_per_wan is None and project.water_m3_per_wan is None:
        return None
    parts = []
    if project.energy_tce_per_wan is not None:
        parts.append(f"{fmt(project.energy_tce_per_wan, 4)} tce/万元")
    if project.water_m3_per_wan is not None:
        parts.append(f"{fmt(project.water_m3_per_wan, 4)} m³/万元")
    value = "; ".join(parts)
    norm = (
        cls.condition.water_energy
        if cls.condition and cls.condition.water_energy
        else "相关行业规范条件、清洁生产标准及能效、水效“领跑者”水平"
    )
    return _r(
        "water_energy",
        "review",
        value,
        norm,
        None,
        "表9-6 备注",
        f"单位产值能耗/水耗 {value}：规划未给出数值门槛，对照{norm.removeprefix('参考')}复核",
        f"energy/water per 万元 of output {value}: the plan gives no number; review against "
        "the industry norms (表9-6 note)",
    )


def _rules_parcel(zone: ZoneConfig, site: Site) -> list[RuleResult]:
    out = []
    members = list(zip(site.parcel_ids, site.statuses, site.enterprises))
    not_vacant = [(p, s, e) for p, s, e in members if s not in AVAILABLE_STATUSES]
    reserved = [p for p, s, _ in members if s == "reserved"]
    held = [(p, a) for p, a in zip(site.parcel_ids, site.admitted) if a]
    if held and not not_vacant:
        out.append(
            _r(
                "parcel_vacant",
                "fail",
                "admitted",
                "vacant",
                None,
                "project admissions",
                "；".join(f"{p}已登记准入项目「{a}」" for p, a in held) + "，不是空闲用地",
                "; ".join(f"{p} is taken by the admitted project {a!r}" for p, a in held) + ", not vacant",
            )
        )
    elif not not_vacant and not reserved:
        out.append(
            _r(
                "parcel_vacant",
                "pass",
                "vacant",
                "vacant",
                None,
                "parcels.status",
                "地块为空闲用地",
                "the parcel is vacant" if len(site.parcel_ids) == 1 else "all parcels are vacant",
            )
        )
    elif not not_vacant:
        ids = "、".join(reserved)
        out.append(
            _r(
                "parcel_vacant",
                "review",
                "reserved",
                "vacant",
                None,
                "parcels.status",
                f"{ids}为预留用地（如产业备用地），需复核后供地",
                f"{', '.join(reserved)} is reserved land (e.g. 产业备用地): released only after review",
            )
        )
    else:
        zh = "；".join(
            f"{p}为{PARCEL_STATUS_ZH.get(s, s)}" + (f"（{e}）" if e else "") for p, s, e in not_vacant
        )
        en = "; ".join(f"{p} is {s}" + (f" ({e})" if e else "") for p, s, e in not_vacant)
        out.append(
            _r(
                "parcel_vacant",
                "fail",
                ",".join(s for _, s, _ in not_vacant),
                "vacant",
                None,
                "parcels.status",
                f"{zh}，不是空闲用地",
                f"{en}, not vacant",
            )
        )

    flags = [_truthy(x) for x in site.excluded]
    reasons, reasons_en = "；".join(site.reasons), "; ".join(site.reasons_en)
    if any(f is True for f in flags):
        out.append(
            _r(
                "site_constraints",
                "fail",
                True,
                False,
                None,
                "scoring.constraints",
                "地块被选址硬约束排除" + (f"：{reasons}" if reasons else ""),
                "the parcel is excluded by the site constraints" + (f": {reasons_en}" if reasons_en else ""),
            )
        )
    elif any(f is None for f in flags):
        out.append(
            _r(
                "site_constraints",
                "review",
                None,
                False,
                None,
                "scoring.constraints",
                "地块缺少硬约束判定结果（excluded 为空）",
                "the parcel has no constraint result (excluded is empty)",
            )
        )
    else:
        out.append(
            _r(
                "site_constraints",
                "pass",
                False,
                False,
                None,
                "scoring.constraints",
                "地块未被选址硬约束排除",
                "not excluded by the site constraints",
            )
        )

    min_score = zone.scoring.min_score
    scores = site.scores
    if any(math.isnan(s) for s in scores):
        out.append(
            _r(
                "suitability",
                "review",
                None,
                min_score,
                "分",
                "scoring.min_score",
                "地块缺少适宜性得分",
                "the parcel has no suitability score",
            )
        )
    else:
        low = min(scores)
        which = site.parcel_ids[scores.index(low)]
        tag = "" if len(scores) == 1 else f"（最低：{which}）"
        tag_en = "" if len(scores) == 1 else f" (lowest: {which})"
        if low + _EPS >= min_score:
            out.append(
                _r(
                    "suitability",
                    "pass",
                    low,
                    min_score,
                    "分",
                    "scoring.min_score",
                    f"适宜性得分 {fmt(low, 1)}{tag} ≥ {fmt(min_score, 1)}",
                    f"suitability score {fmt(low, 1)}{tag_en} ≥ {fmt(min_score, 1)}",
                )
            )
        else:
            out.append(
                _r(
                    "suitability",
                    "fail",
                    low,
                    min_score,
                    "分",
                    "scoring.min_score",
                    f"适宜性得分 {fmt(low, 1)}{tag} < 最低分 {fmt(min_score, 1)}",
                    f"suitability score {fmt(low, 1)}{tag_en} < minimum {fmt(min_score, 1)}",
                )
            )
    return out


def _rules_area(project: Project, site: Site, ja: JustifiedArea | None) -> list[RuleResult]:
    out = []
    a = site.area_mu
    d = project.land_mu
    if d is None:
        out.append(
            _r(
                "land_demand",
                "review",
                a,
                None,
                "亩",
                "project.land_mu",
                f"项目未申报用地需求（land_mu）；地块 {fmt(a)} 亩",
                f"the project declares no land demand (land_mu); the site has {fmt(a)} 亩",
            )
        )
    elif a + _EPS >= d:
        out.append(
            _r(
                "land_demand",
                "pass",
                a,
                d,
                "亩",
                "project.land_mu",
                f"地块 {fmt(a)} 亩 ≥ 用地需求 {fmt(d)} 亩（余 {fmt(a - d)} 亩）",
                f"site {fmt(a)} 亩 ≥ land demand {fmt(d)} 亩 ({fmt(a - d)} 亩 left over)",
            )
        )
    else:
        out.append(
            _r(
                "land_demand",
                "fail",
                a,
                d,
                "亩",
                "project.land_mu",
                f"地块 {fmt(a)} 亩 < 用地需求 {fmt(d)} 亩，差 {fmt(d - a)} 亩",
                f"site {fmt(a)} 亩 < land demand {fmt(d)} 亩, {fmt(d - a)} 亩 short",
            )
        )

    if ja is None:
        out.append(
            _r(
                "area_justified",
                "review",
                a,
                None,
                "亩",
                "表9-6",
                "无强度门槛，无法计算项目可支撑的最大用地",
                "no intensity threshold: the justified area is unknown",
            )
        )
        return out
    m = ja.mu
    basis = ja.basis
    if a <= m + _EPS:
        out.append(
            _r(
                "area_justified",
                "pass",
                a,
                m,
                "亩",
                basis,
                f"地块 {fmt(a)} 亩 ≤ 项目投资与产值可支撑的最大用地 {fmt(m)} 亩",
                f"site {fmt(a)} 亩 ≤ the {fmt(m)} 亩 the project's investment and output justify",
            )
        )
    else:
        excess = a - m
        tail_zh = "，按表9-6本地块上投资/产出强度不达标" if not ja.reference else "（按表6-1参考值）"
        tail_en = (
            "; by 表9-6 the intensity rules fail on this site"
            if not ja.reference
            else " (by the 表6-1 reference targets)"
        )
        zh = f"地块 {fmt(a)} 亩，超出项目可支撑的最大用地 {fmt(m)} 亩 {fmt(excess)} 亩（{fmt(100 * excess / m, 1)}%）{tail_zh}"
        en = (
            f"site {fmt(a)} 亩 is {fmt(excess)} 亩 ({fmt(100 * excess / m, 1)} %) larger than the "
            f"{fmt(m)} 亩 the project justifies{tail_en}"
        )
        if d is not None and d > m + _EPS:
            zh += f"；项目申报用地 {fmt(d)} 亩本身已超出 {fmt(m)} 亩"
            en += f"; the declared demand {fmt(d)} 亩 itself exceeds {fmt(m)} 亩"
        out.append(_r("area_justified", "review", a, m, "亩", basis, zh, en))
    return out


_CAPACITY = (
    ("power_capacity", "power", "用电负荷", "power load", "power_kw"),
    ("water_supply", "water", "用水量", "water demand", "water_m3_per_day"),
    ("wastewater_capacity", "wastewater", "污水量", "wastewater", "water_m3_per_day"),
)


def _rules_capacity(project: Project, site: Site, ledger: CapacityLedger | None) -> list[RuleResult]:
    out = []
    for rule, service, zh_name, en_name, field_name in _CAPACITY:
        unit = "MVA" if service == "power" else "m³/d"
        if ledger is None:
            out.append(
                _r(
                    rule,
                    "review",
                    None,
                    None,
                    unit,
                    "capacity ledger",
                    f"未提供容量数据，无法核对{zh_name}",
                    f"no capacity data given: {en_name} not checked",
                )
            )
            continue
        src = _capacity_source(ledger, service)
        need = ledger.demand(project).of(service)
        if need is None:
            out.append(
                _r(
                    rule,
                    "review",
                    None,
                    None,
                    unit,
                    src,
                    f"项目未申报{zh_name}（{field_name}）",
                    f"the project declares no {en_name} ({field_name})",
                )
            )
            continue
        if site.park is None:
            out.append(
                _r(rule, "review", need, None, unit, src, "地块不属于任何园区", "the site lies in no park")
            )
            continue
        sup: Supply = ledger.supply(site.park, service)
        how_zh, how_en = _demand_text(project, ledger, service)
        if sup.spare is None:
            out.append(
                _r(
                    rule,
                    "review",
                    need,
                    None,
                    unit,
                    src,
                    f"{zh_name} {fmt(need)} {unit}{how_zh}：{sup.reason_zh}，需复核",
                    f"{en_name} {fmt(need)} {unit}{how_en}: {sup.reason_en}; review",
                )
            )
            continue
        names = "、".join(sup.facilities)
        after_zh, after_en = _admitted_text(ledger, site.park)
        if need <= sup.spare + _EPS:
            out.append(
                _r(
                    rule,
                    "pass",
                    need,
                    sup.spare,
                    unit,
                    src,
                    f"{zh_name} {fmt(need)} {unit}{how_zh} ≤ {names}剩余容量 {fmt(sup.spare)} {unit}{after_zh}",
                    f"{en_name} {fmt(need)} {unit}{how_en} ≤ spare capacity {fmt(sup.spare)} {unit} of {', '.join(sup.facilities)}{after_en}",
                )
            )
        else:
            out.append(
                _r(
                    rule,
                    "fail",
                    need,
                    sup.spare,
                    unit,
                    src,
                    f"{zh_name} {fmt(need)} {unit}{how_zh} > {names}剩余容量 {fmt(sup.spare)} {unit}{after_zh}",
                    f"{en_name} {fmt(need)} {unit}{how_en} > spare capacity {fmt(sup.spare)} {unit} of {', '.join(sup.facilities)}{after_en}",
                )
            )
    return out


def _admitted_text(ledger: CapacityLedger, park: str) -> tuple[str, str]:
    """Return the note (zh, en) that the spare capacity counts the park's admitted projects."""
    n = len(ledger.admitted_in(park))
    if not n:
        return "", ""
    return (
        f"（已扣除本园区 {n} 个已准入项目的用量）",
        f" (after the {n} admitted project{'s' if n > 1 else ''} of the park)",
    )


def _capacity_source(ledger: CapacityLedger, service: Service) -> str:
    if service == "power":
        return f"substations: capacity_mva − load_mva; power factor {ledger.power_factor}"
    if service == "water":
        return "water: capacity_m3_per_day − used_m3_per_day"
    return f"water (wastewater_plant): capacity − used; wastewater = {ledger.wastewater_ratio} × water"


def _demand_text(project: Project, ledger: CapacityLedger, service: Service) -> tuple[str, str]:
    if service == "power":
        return (
            f"（{fmt(project.power_kw)} kW ÷ 功率因数 {ledger.power_factor}）",
            f" ({fmt(project.power_kw)} kW ÷ power factor {ledger.power_factor})",
        )
    if service == "wastewater":
        return (
            f"（用水 {fmt(project.water_m3_per_day)} m³/d × {ledger.wastewater_ratio}）",
            f" (water {fmt(project.water_m3_per_day)} m³/d × {ledger.wastewater_ratio})",
        )
    return "", ""


# --------------------------------------------------------------------------- the check


def check_site(
    zone: ZoneConfig,
    rows: pd.DataFrame,
    project: Project,
    ledger: CapacityLedger | None = None,
    lang: str = "zh",
    *,
    classification: Classification | None = None,
) -> CheckResult:
    """Check ``project`` on the site made of parcel ``rows`` (one cluster; areas summed).

    Returns a CheckResult whose rules are listed in the module docstring. ``classification``
    may be passed to avoid re-classifying the project for every site."""
    return evaluate_site(zone, Site.from_rows(rows), project, ledger, lang, classification=classification)


def evaluate_site(
    zone: ZoneConfig,
    site: Site,
    project: Project,
    ledger: CapacityLedger | None = None,
    lang: str = "zh",
    *,
    classification: Classification | None = None,
) -> CheckResult:
    """Check ``project`` on an already built :class:`Site`; see :func:`check_site`."""
    if lang not in ("zh", "en"):
        raise SchemaError(f"lang must be 'zh' or 'en', got {lang!r}", where="lang")
    cls = classification or classify_industry(zone, project)
    th = thresholds_for(zone, cls)
    ja = justified_area(zone, project, cls)
    rules: list[RuleResult] = [_rule_positive_list(zone, project, cls), _rule_cluster(zone, site, cls)]
    rules += _rules_intensity(project, site, cls, th)
    rules += _rules_environment(project, cls)
    we = _rule_water_energy(project, cls)
    if we is not None:
        rules.append(we)
    rules += _rules_parcel(zone, site)
    rules += _rules_area(project, site, ja)
    rules += _rules_capacity(project, site, ledger)
    return CheckResult(
        project=project.name,
        parcel_ids=site.parcel_ids,
        area_mu=site.area_mu,
        verdict=worst([r.status for r in rules]),
        justified=ja,
        rules=tuple(rules),
        lang=lang,
    )


def check_project(
    zone: ZoneConfig,
    parcel_row: pd.Series | pd.DataFrame,
    project: Project,
    ledger: CapacityLedger | None = None,
    lang: str = "zh",
) -> CheckResult:
    """Check ``project`` on one parcel (a row of the scored parcel table) and return the result.

    Money in 万元, areas in 亩. Without ``ledger`` the capacity rules are "review"."""
    rows = parcel_row.to_frame().T if isinstance(parcel_row, pd.Series) else parcel_row
    return check_site(zone, rows, project, ledger, lang)
