"""``parksite zone validate|show``: check a zone file and print its rules as tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # scoring.zone loads numpy, pandas and pyproj: imported by the commands
    from scoring.zone import ZoneConfig

zone_app = typer.Typer(help="区域规则配置 Zone rule files (data/zones/*.yaml).", no_args_is_help=True)
console = Console()


@zone_app.command("validate")
def validate(file: Path = typer.Argument(..., help="zone YAML file")) -> None:
    """Check a zone file and the data files it names (existing enterprises); print what they
    hold, or each bad field path and its problem."""
    from scoring.enterprises import load_enterprises
    from scoring.zone import load_zone

    z = load_zone(file)
    table = load_enterprises(file, z)
    n_clusters = sum(len(p.clusters) for p in z.parks)
    n_branches = sum(len(i.branches) for i in z.positive_list.industries)
    enterprises = f", {len(table.enterprises)} existing enterprise(s) ({table.table})" if table else ""
    console.print(
        f"[green]OK[/green] {file}: {z.zone.name} ({z.zone.id}), CRS {z.zone.crs}; "
        f"{len(z.parks)} park(s), {n_clusters} cluster(s), {len(z.positive_list.industries)} "
        f"industries / {n_branches} branches, {len(z.admission)} admission rows, "
        f"{len(z.scoring.criteria)} criteria, {len(z.scoring.constraints)} constraints{enterprises}"
    )


@zone_app.command("show")
def show(file: Path = typer.Argument(..., help="zone YAML file")) -> None:
    """Print the zone's rules as readable tables (Chinese with English names)."""
    from scoring.zone import load_zone

    z = load_zone(file)
    render_zone(z, console)


def render_zone(z: ZoneConfig, out: Console) -> None:
    """Print parks/clusters, the positive list, admission conditions, targets and scoring."""
    out.rule(f"{z.zone.name} · {z.zone.name_en}")
    out.print(
        f"CRS {z.zone.crs}; {z.zone.approved_by or ''} {z.zone.approved_on or ''}; "
        f"规划面积 planned area {z.zone.planned_area_km2} km² [dim]({z.zone.source})[/dim]"
    )

    t = Table(title="园区与产业组团 Parks and clusters (表8-1)", show_lines=False)
    for col in ("园区 park", "组团 cluster", "类型 kind", "面积 亩", "准入产业 admits", "来源 source"):
        t.add_column(col)
    for p in z.parks:
        for c in p.clusters:
            admits = "; ".join(
                a.industry
                + (f"（{'、'.join(a.branches)}）" if a.branches else "")
                + (f"：{'、'.join(a.encouraged)}（表8-1）" if a.encouraged else "")
                + (" [本系统判断 parksite's judgement]" if a.basis == "parksite" else "")
                for a in c.admits or []
            )
            if c.admits_encouraged_under_review:
                admits = (admits + "; " if admits else "") + "国家鼓励类项目（需审查 review）"
            t.add_row(
                f"{p.name}\n{p.area_km2} km²",
                f"{c.name}\n[dim]{c.id}[/dim]",
                c.kind,
                "" if c.area_mu is None else f"{c.area_mu:g}",
                admits,
                c.source,
            )
    out.print(t)

    t = Table(title="产业准入正面清单 Positive list (表9-5)")
    for col in ("产业大类 industry", "二级产业方向 branch", "发展导向 guidance", "准入条件 admission row"):
        t.add_column(col)
    for ind in z.positive_list.industries:
        for b in ind.branches:
            row = z.admission_for(ind, b)
            t.add_row(
                ind.name,
                f"{b.name}\n[dim]{b.name_en}[/dim]",
                f"{b.guidance} ({b.level})",
                row.industry if row else "—（需审查 review）",
            )
    if z.positive_list.catch_all:
        ca = z.positive_list.catch_all
        t.add_row(ca.name, "", "个案审查 case by case (review)", "—")
    out.print(t)

    t = Table(title="产业准入条件 Admission conditions (表9-6)")
    for col in (
        "产业类别 industry",
        "投资强度 万元/亩",
        "产出强度 万元/亩",
        "在线监测 monitoring",
        "三废达标处理率 %",
        "来源",
    ):
        t.add_column(col)
    for a in z.admission:
        t.add_row(
            a.industry,
            f"≥{a.investment_intensity_wan_per_mu:g}",
            f"≥{a.output_intensity_wan_per_mu:g}",
            "安装 required" if a.online_monitoring_required else "—",
            f"≥{a.waste_treatment_pct_min:g}",
            a.source,
        )
    out.print(t)

    if z.targets:
        out.print(
            f"{z.targets.year} 年目标 targets ({z.targets.source}): 工业用地产出强度 ≥"
            f"{z.targets.output_intensity_wan_per_mu:g} 万元/亩; 投资强度 ≥"
            f"{z.targets.investment_intensity_wan_per_mu:g} 万元/亩"
        )
    if z.land_controls:
        lc = z.land_controls
        out.print(
            f"用地控制 land controls ({lc.source}): 建筑系数 ≥{lc.building_coefficient_min_pct:g}%; "
            f"行政办公及生活服务设施 ≤{lc.admin_living_max_pct:g}%; 绿地率 ≤{lc.green_ratio_max_pct:g}%"
        )

    s = z.scoring
    weights = s.weights()
    ahp = s.ahp_result()
    title = f"选址评价指标 Site criteria ({s.method}; weights from {s.weights_from}"
    title += f", CR = {ahp.cr:.3f})" if ahp else ")"
    t = Table(title=title)
    for col in (
        "指标 criterion",
        "测度 measure",
        "单位 unit",
        "值函数 value function",
        "权重 weight",
        "来源",
    ):
        t.add_column(col)
    for c in s.criteria:
        fn = c.function.model_dump()
        kind = fn.pop("type")
        t.add_row(
            f"{c.name}\n[dim]{c.name_en}[/dim]",
            c.measure,
            c.unit,
            f"{kind} {fn}",
            f"{weights[c.id]:.3f}",
            c.source,
        )
    out.print(t)
    t = Table(title="刚性约束 Hard constraints")
    for col in ("约束 constraint", "条件 condition", "说明 message", "来源"):
        t.add_column(col)
    for k in s.constraints:
        t.add_row(k.id, f"{k.measure} {k.op} {k.value}", k.message, k.source)
    out.print(t)
    out.print(
        "坡度限值 slope limits: "
        + "; ".join(f"{sl.name} < {sl.max_pct:g}% ({sl.source})" for sl in s.slope_limits)
    )
    out.print(
        "等级 classes: "
        + ", ".join(f"{c.name} ≥{c.min_score:g}" for c in s.classes)
        + f"; 准入最低分 minimum score for admission {s.min_score:g}"
    )


def register(cli: typer.Typer) -> None:
    """Add the ``zone`` command group to the CLI."""
    cli.add_typer(zone_app, name="zone")
