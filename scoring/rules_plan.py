"""The plan's admission rules: the positive list (表9-5), the clusters (表8-1), the intensity and
environment conditions (表9-6) and its note on water and energy use.

Each ``rule_*`` function takes :class:`scoring.rulebook.RuleInputs` and returns a
:class:`scoring.rulebook.RuleResult` whose texts are catalogue messages (ids ``rule.<rule>.…``).
"""

from __future__ import annotations

from gis.errors import SchemaError
from gis.messages import Message, Name, joined, msg
from scoring.citations import cite, table
from scoring.expansion import basis_label as expansion_basis
from scoring.expansion import new_land_mu
from scoring.industry import Classification
from scoring.rulebook import RuleInputs, RuleResult, Shown, Status, against, fmt, needs_data
from scoring.zone import Admit, Cluster, Park, ZoneConfig

#: 发展导向 levels (the zone file's ``level``) and the message ids naming them in English.
GUIDANCE_IDS: dict[str, str] = {
    "controlled": "guidance.controlled",
    "cultivate": "guidance.cultivate",
    "encourage": "guidance.encourage",
    "encourage_strict": "guidance.encourage_strict",
    "market": "guidance.market",
}

UNIT_WAN_PER_MU = msg("unit.wan_per_mu")


def guidance(text: str, level: str) -> Name:
    """Return a branch's 发展导向: the plan's words in Chinese, the level's name in English."""
    return Name(text, msg(GUIDANCE_IDS[level]))


# --------------------------------------------------------------------------- 表9-5


def rule_positive_list(x: RuleInputs) -> RuleResult:
    """Whether the industry is on the positive list (表9-5): pass; review for 规模控制, a listed
    industry without 二级产业方向, or the catch-all; fail outside the list."""
    zone, cls = x.zone, x.classification
    src = zone.positive_list.source.split()[0] if zone.positive_list.source else "表9-5"
    label = cls.label()
    if cls.kind == "listed":
        br = cls.branch
        assert br is not None
        g = guidance(br.guidance, br.level)
        if br.level == "controlled":
            return _pl(
                "review",
                label,
                g,
                cite(br.source),
                msg("rule.positive_list.controlled", label=label, guidance=g),
            )
        return _pl("pass", label, g, cite(br.source), msg("rule.positive_list.pass", label=label, guidance=g))
    if cls.kind == "industry_only":
        ind = cls.industry
        assert ind is not None
        listed = joined([Name(b.name, b.name_en) for b in ind.branches])
        industry = Name(ind.name, ind.name_en)
        if cls.branch_text:
            return _pl(
                "fail",
                label,
                listed,
                cite(ind.source),
                msg(
                    "rule.positive_list.unlisted_branch",
                    branch=cls.branch_text,
                    industry=industry,
                    listed=listed,
                ),
            )
        return needs_data(
            "positive_list",
            ("branch",),
            value=label,
            threshold=listed,
            source=cite(ind.source),
            message="rule.positive_list.no_branch",
            params={"industry": industry, "listed": listed},
        )
    if cls.kind == "encouraged":
        ca = zone.positive_list.catch_all
        name: Shown = Name(ca.name, ca.name_en) if ca else msg("industry.encouraged")
        return _pl(
            "review",
            name,
            msg("status.review"),
            cite(ca.source if ca else src),
            msg("rule.positive_list.encouraged", description=x.project.encouraged_description, name=name),
        )
    text = " / ".join(t for t in (cls.industry_text, cls.branch_text) if t)
    return _pl(
        "fail",
        text,
        msg("rule.positive_list"),
        cite(src),
        msg("rule.positive_list.outside", industry=text, source=cite(src)),
    )


def _pl(status: Status, value: Shown, threshold: Shown, source: Shown, message: Message) -> RuleResult:
    return RuleResult("positive_list", status, value, threshold, None, source, message)


# --------------------------------------------------------------------------- 表8-1


def cluster_name(cl: Cluster) -> Name:
    """Return a cluster's name in each language."""
    return Name(cl.name, cl.name_en)


def unset_admits_message(cl: Cluster) -> Message:
    """Return the message for a cluster whose admitted industries are not set yet (``admits_unset``)."""
    return msg("rule.cluster.unset", cluster=cluster_name(cl))


def catch_all_name(zone: ZoneConfig) -> Shown:
    """Return the positive list's catch-all (其它国家鼓励发展的产业项目) in each language."""
    ca = zone.positive_list.catch_all
    return Name(ca.name, ca.name_en) if ca else msg("industry.encouraged")


def encouraged_entry(zone: ZoneConfig, cl: Cluster, cls: Classification) -> Admit | None:
    """Return the cluster's catch-all entry whose words (表8-1's directions, e.g. 3D打印) the
    catch-all project's description contains; None otherwise (or for another kind of project)."""
    if cls.kind != "encouraged" or not cls.description:
        return None
    for a in cl.admits or []:
        if zone.is_catch_all(a.industry) and any(w in cls.description for w in a.encouraged or []):
            return a
    return None


def admitted_entry(zone: ZoneConfig, cl: Cluster, cls: Classification) -> Admit | None:
    """Return the entry of ``cl.admits`` that admits the classified project, or None."""
    hit = encouraged_entry(zone, cl, cls)
    if hit is not None or cls.industry is None:
        return hit
    for a in cl.admits or []:
        if zone.find_industry(a.industry) == cls.industry:
            if a.branches is None or (cls.branch is not None and cls.branch.name in a.branches):
                return a
    return None


def admit_basis(a: Admit | None) -> Shown:
    """Return whose judgement an admitted entry is: 表8-1, or 本系统判断 with the zone file's note
    ("" when unstated)."""
    if a is None or a.basis is None:
        return ""
    if a.basis == "plan":
        return msg("admit.basis.plan")
    return msg("admit.basis.parksite", note=a.note or "")


def admits_text(zone: ZoneConfig, cl: Cluster) -> Shown:
    """Return what a cluster admits: its industries (with their 二级产业方向, or for the catch-all
    the words of 表8-1), each marked 本系统判断 when it is the zone file's judgement, and 产业备用地's
    encouraged projects; or "none"."""
    parts: list[Shown] = []
    for a in cl.admits or []:
        if zone.is_catch_all(a.industry):
            parts.append(
                msg(
                    "cluster.admits_words",
                    name=catch_all_name(zone),
                    words=joined(a.encouraged or []),
                    basis=msg("admit.mark.parksite") if a.basis == "parksite" else "",
                )
            )
            continue
        ind = zone.find_industry(a.industry)
        name: Shown = Name(ind.name, ind.name_en) if ind else a.industry
        if a.branches:
            brs: list[Shown] = []
            for b in a.branches:
                br = ind.branch(b) if ind else None
                brs.append(Name(br.name, br.name_en) if br else b)
            name = msg("cluster.admits_with_branches", industry=name, branches=brs)
        if a.basis == "parksite":
            name = msg("cluster.admits_marked", name=name, mark=msg("admit.mark.parksite"))
        parts.append(name)
    if cl.admits_encouraged_under_review:
        parts.append(msg("cluster.admits_encouraged"))
    return joined(parts, "semicolon") if parts else msg("common.none")


def admitting_clusters(zone: ZoneConfig, cls: Classification) -> list[tuple[Park, Cluster]]:
    """Return the (park, cluster) pairs whose ``admits`` name the project's industry and branch."""
    out = []
    for park, cl in zone.clusters():
        if encouraged_entry(zone, cl, cls) is not None:
            out.append((park, cl))
            continue
        for a in cl.admits or []:
            if cls.industry is not None and zone.find_industry(a.industry) == cls.industry:
                if a.branches is None or cls.branch is None or cls.branch.name in a.branches:
                    out.append((park, cl))
                    break
    return out


def cluster_admits(zone: ZoneConfig, cl: Cluster, cls: Classification) -> Status:
    """Return whether cluster ``cl`` admits the classified project (表8-1): pass; needs_data when
    the cluster admits only some 二级产业方向 of the project's industry and the project names none;
    review for 产业备用地 or a cluster whose admits are not set yet; else fail."""
    if cls.kind == "outside":
        return "fail"
    if cls.kind == "industry_only" and cls.branch_text:
        return "fail"  # a listed industry's unlisted direction is outside the list
    if encouraged_entry(zone, cl, cls) is not None:
        return "pass"  # 表8-1 names what the catch-all project is (3D打印 …) in this cluster
    entries = []
    if cls.industry is not None:  # one industry may have several entries (each with its basis)
        entries = [a for a in cl.admits or [] if zone.find_industry(a.industry) == cls.industry]
    if admitted_entry(zone, cl, cls) is not None:
        return "pass"
    if entries and cls.branch is None:
        return "needs_data"  # the cluster admits some branches: the project must name its own
    if cl.admits is None or cl.admits_encouraged_under_review:
        return "review"  # not set yet, or 产业备用地
    return "fail"


def rule_cluster(x: RuleInputs) -> RuleResult:
    """Whether the site's cluster admits the project (表8-1)."""
    zone, site, cls = x.zone, x.site, x.classification
    if site.cluster is None:
        return RuleResult("cluster", "fail", None, None, None, table("8-1"), msg("rule.cluster.no_cluster"))
    cl = cluster_or_error(zone, site.cluster)
    status = cluster_admits(zone, cl, cls)
    name, admits, label = cluster_name(cl), admits_text(zone, cl), cls.label()
    source: Shown = cite(cl.source)
    if status == "review" and cl.admits_unset:
        return RuleResult("cluster", status, name, None, None, source, unset_admits_message(cl))
    elsewhere = [] if status == "pass" else admitting_clusters(zone, cls)
    where = [
        msg("cluster.in_park", cluster=cluster_name(c), park=Name(p.name, p.name_en)) for p, c in elsewhere
    ]
    if status == "pass":
        entry = admitted_entry(zone, cl, cls)
        m = msg("rule.cluster.pass", cluster=name, label=label, basis=admit_basis(entry))
        if entry is not None and entry.basis == "parksite":
            source = msg("source.parksite_judgement", source=source)
    elif status == "review" and cl.admits_encouraged_under_review:
        if where:
            m = msg("rule.cluster.reserve_elsewhere", cluster=name, label=label, where=where)
        else:
            m = msg("rule.cluster.reserve", cluster=name, label=label)
    elif status == "needs_data":
        return needs_data(
            "cluster",
            ("branch",),
            value=name,
            threshold=admits,
            source=source,
            message="rule.cluster.no_branch",
            params={"cluster": name, "admits": admits},
        )
    elif where:
        m = msg("rule.cluster.fail_elsewhere", cluster=name, label=label, admits=admits, where=where)
    else:
        m = msg("rule.cluster.fail", cluster=name, label=label, admits=admits)
    return RuleResult("cluster", status, name, admits, None, source, m)


def cluster_or_error(zone: ZoneConfig, cluster_id: str) -> Cluster:
    """Return the zone's cluster ``cluster_id``; SchemaError naming the zone's clusters otherwise."""
    for _, cl in zone.clusters():
        if cl.id == cluster_id:
            return cl
    known = [c.id for _, c in zone.clusters()]
    raise SchemaError(
        f"cluster {cluster_id!r} is not a cluster of zone {zone.zone.id}",
        where="parcels: cluster",
        hint=f"clusters: {known}",
        msg=msg("error.site.unknown_cluster", cluster=cluster_id, zone=zone.zone.id, known=known),
    )


# --------------------------------------------------------------------------- 表9-6


def granted_area(x: RuleInputs) -> tuple[float, Shown]:
    """Return the area (亩) the intensity rules divide by and what it is: the land basis's
    granted area (申报用地 for a split, 整块净用地 otherwise), or the site's area without one."""
    if x.land is not None:
        return x.land.granted_mu, x.land.basis_label()
    return x.site.area_mu, msg("land.basis.site")


def intensity_formula(name: Shown, amount: float, area: float, basis: Shown) -> Message:
    """Return "投资强度 = 9000 万元 ÷ 30 亩（申报用地）= 300 万元/亩" as a message."""
    return msg(
        "rule.intensity.formula",
        name=name,
        amount=fmt(amount),
        area=fmt(area),
        basis=basis,
        value=fmt(amount / area),
    )


def _expansion_total(
    x: RuleInputs, rule: str, amount: float, area: float, basis: Shown
) -> tuple[float, float, Shown, Shown] | RuleResult:
    """For an expansion on the ``total`` basis (:mod:`scoring.expansion`): return (existing +
    added amount, existing + new land, the basis, a note giving the added part alone), or the
    ``needs_data`` outcome when the existing land or amount is unknown."""
    e, cfg = x.expansion, x.zone.expansion
    assert cfg is not None  # the caller checks the zone's expansion basis
    field = "existing_investment_wan" if rule == "investment_intensity" else "existing_output_wan"
    existing = e.investment_wan if rule == "investment_intensity" else e.output_wan
    missing = tuple(f for f, v in (("existing_land_mu", e.land_mu), (field, existing)) if v is None)
    if missing:
        return needs_data(
            rule,
            missing,
            threshold=None,
            unit=UNIT_WAN_PER_MU,
            source=msg("source.expansion", source=cite(cfg.source)),
            message="rule.expansion.undeclared",
            params={"enterprise": e.name},
        )
    new_mu = new_land_mu(e, x.site, area)
    total_area = e.land_mu + new_mu
    added_alone: Shown = (
        msg("rule.expansion.added_alone", amount=fmt(amount), area=fmt(new_mu), value=fmt(amount / new_mu))
        if new_mu > 0
        else msg("rule.expansion.no_new_land")
    )
    return existing + amount, total_area, expansion_basis(e, new_mu, basis), added_alone


def _intensity(x: RuleInputs, rule: str, amount: float, threshold: float | None) -> RuleResult:
    th = x.thresholds
    area, basis = granted_area(x)
    declared = x.land.declared_mu if x.land is not None else None
    note: Shown = ""
    if x.expansion is not None and x.zone.expansion is not None and x.zone.expansion.basis == "total":
        total = _expansion_total(x, rule, amount, area, basis)
        if isinstance(total, RuleResult):
            return total
        amount, area, basis, note = total
        declared = None
    value = amount / area
    name = (
        msg("rule.investment_intensity") if rule == "investment_intensity" else msg("rule.output_intensity")
    )
    formula = intensity_formula(name, amount, area, basis)
    on_declared: Shown = (
        msg("rule.intensity.on_declared", declared=fmt(declared), value=fmt(amount / declared))
        if declared and abs(declared - area) > 0.005
        else note
    )
    if th.reference:
        ref = (
            msg(
                "rule.intensity.reference_target",
                source=cite(x.zone.targets.source),
                threshold=fmt(threshold),
            )
            if threshold and x.zone.targets is not None
            else msg("rule.intensity.no_reference")
        )
        return RuleResult(
            rule,
            "review",
            value,
            threshold,
            UNIT_WAN_PER_MU,
            msg("source.no_row_then", table=table("9-6"), then=th.source),
            msg(
                "rule.intensity.no_row",
                label=x.classification.label(),
                name=name,
                value=fmt(value),
                reference=ref,
                formula=formula,
                declared=on_declared,
            ),
        )
    assert threshold is not None
    return against(
        rule,
        value,
        threshold,
        unit=UNIT_WAN_PER_MU,
        source=th.source,
        ids=("rule.intensity.pass", "rule.intensity.fail"),
        params={
            "name": name,
            "value": fmt(value),
            "threshold": fmt(threshold),
            "area": fmt(area),
            "need": fmt(threshold * area),
            "formula": formula,
            "declared": on_declared,
        },
    )


def rule_investment_intensity(x: RuleInputs) -> RuleResult:
    """Investment ÷ site area (万元/亩) ≥ the 表9-6 threshold (review with 表6-1 reference targets)."""
    return _intensity(x, "investment_intensity", x.project.investment_wan, x.thresholds.investment)


def rule_output_intensity(x: RuleInputs) -> RuleResult:
    """Annual output ÷ site area (万元/亩) ≥ the 表9-6 threshold (review with 表6-1 reference targets)."""
    return _intensity(x, "output_intensity", x.project.output_wan, x.thresholds.output)


def _condition_source(x: RuleInputs) -> Shown:
    c = x.classification.condition
    assert c is not None
    return msg("source.condition_row", cite=cite(c.source), industry=Name(c.industry, c.name_en))


def rule_online_monitoring(x: RuleInputs) -> RuleResult:
    """Main pollutants monitored online where 表9-6 requires it; undeclared → review."""
    cond, mon = x.classification.condition, x.project.online_monitoring
    if cond is None:
        return RuleResult(
            "online_monitoring",
            "review",
            mon,
            None,
            None,
            msg("source.no_row", table=table("9-6")),
            msg(
                "rule.environment.no_row",
                label=x.classification.label(),
                what=msg("rule.online_monitoring.what"),
            ),
        )
    src = _condition_source(x)
    if not cond.online_monitoring_required:
        return RuleResult(
            "online_monitoring", "pass", mon, False, None, src, msg("rule.online_monitoring.not_required")
        )
    if mon is None:
        return needs_data(
            "online_monitoring",
            ("online_monitoring",),
            threshold=True,
            source=src,
            message="rule.online_monitoring.undeclared",
        )
    if mon:
        return RuleResult(
            "online_monitoring", "pass", True, True, None, src, msg("rule.online_monitoring.installed")
        )
    return RuleResult(
        "online_monitoring", "fail", False, True, None, src, msg("rule.online_monitoring.missing")
    )


def rule_waste_treatment(x: RuleInputs) -> RuleResult:
    """三废达标处理率 ≥ the 表9-6 minimum; undeclared → review."""
    cond, pct = x.classification.condition, x.project.waste_treatment_pct
    if cond is None:
        return RuleResult(
            "waste_treatment",
            "review",
            pct,
            None,
            "%",
            msg("source.no_row", table=table("9-6")),
            msg(
                "rule.environment.no_row",
                label=x.classification.label(),
                what=msg("rule.waste_treatment.what"),
            ),
        )
    thr, src = cond.waste_treatment_pct_min, _condition_source(x)
    if pct is None:
        return needs_data(
            "waste_treatment",
            ("waste_treatment_pct",),
            threshold=thr,
            unit="%",
            source=src,
            message="rule.waste_treatment.undeclared",
            params={"threshold": fmt(thr)},
        )
    return against(
        "waste_treatment",
        pct,
        thr,
        unit="%",
        source=src,
        ids=("rule.waste_treatment.pass", "rule.waste_treatment.fail"),
        params={"value": fmt(pct), "threshold": fmt(thr)},
    )


def rule_water_energy(x: RuleInputs) -> RuleResult | None:
    """Energy and water use per 万元 of output, when declared, against the 表9-6 norm (one merged
    cell for every row: industry norms and cleaner-production standards, no number): always
    review — a person compares them with the norm. None when the project declares neither (the
    plan sets no figure a project could be said to lack)."""
    p, cond = x.project, x.classification.condition
    if p.energy_tce_per_wan is None and p.water_m3_per_wan is None:
        return None
    written = cond.water_energy if cond and cond.water_energy else None
    norm = Name(written or msg("rule.water_energy.default_norm"), msg("rule.water_energy.norms"))
    source = msg("source.table_note", table=table("9-6"))
    parts: list[Shown] = []
    if p.energy_tce_per_wan is not None:
        parts.append(msg("rule.water_energy.energy", value=fmt(p.energy_tce_per_wan, 4)))
    if p.water_m3_per_wan is not None:
        parts.append(msg("rule.water_energy.water", value=fmt(p.water_m3_per_wan, 4)))
    value = joined(parts, "semicolon")
    return RuleResult(
        "water_energy",
        "review",
        value,
        norm,
        None,
        source,
        msg("rule.water_energy.review", value=value, norm=norm),
    )
