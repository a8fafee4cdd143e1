"""CLI: admission check, recommendation, 标准地 sheets and the plan-projects report.

Commands (human-readable rich output by default, Chinese; ``--lang en`` for English; ``--json``
for machine output)::

    parksite check         --zone ZONE --parcel ID --project FILE [--json] [--lang zh|en]
                           [--expansion-of ENTERPRISE [--existing-land-mu MU]
                            [--existing-investment-wan WAN] [--existing-output-wan WAN]]
    parksite recommend     --zone ZONE --project FILE [--top N] [--json] [--lang zh|en]
    parksite standard-land --zone ZONE --parcel ID [--json] [--lang zh|en]
    parksite plan-report   --zone ZONE --out OUT.xlsx|OUT.csv [--projects FILE] [--top N] [--lang zh|en]
                           [--allocate]

With ``PARKSITE_DATABASE_URL`` set they read the database as the API does (rules with the edited
clusters, the newest score run, admitted projects and the spare capacity after them); without it,
scored parcels come from ``app.scoring_io.cache.load_scored_parcels(zone_file)`` and utility
capacities from the ``substations`` and ``water`` layers of the zone's GeoPackage (``data.layers``).
See :mod:`app.scoring_io.zone_state`.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from app.commands.lang import LANG_HELP, set_lang
from app.i18n import render, render_value, text
from gis.errors import NotFoundError, ParksiteError, SchemaError
from gis.messages import joined, msg

if TYPE_CHECKING:  # pandas is loaded by the commands (with the scored parcels), not at startup
    import pandas as pd

#: How the expansion is measured (zone file ``expansion.basis``) → its message id.
_EXPANSION_BASIS = {"total": "cli.check.expansion_basis.total", "added": "cli.check.expansion_basis.added"}
_STATUS_STYLE = {"pass": "green", "review": "yellow", "needs_data": "magenta", "fail": "red"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _status(s: str, lang: str) -> str:
    from scoring.rulebook import STATUS_IDS  # scoring pulls numpy in: not at CLI start-up

    return f"[{_STATUS_STYLE[s]}]{text(STATUS_IDS[s], lang)}[/]"


def _check_lang(lang: str) -> str:
    return set_lang(lang)


def _zone_file(zone: Path | None) -> Path:
    if zone is not None:
        return zone
    from app.settings import get_settings

    return get_settings().zone_file


def load_context(zone_file: Path, zone: Any = None) -> tuple[Any, pd.DataFrame, Any]:
    """Return (zone config, scored parcels, capacity ledger or None): from the database when
    ``PARKSITE_DATABASE_URL`` is set (as the API sees it: edited clusters, admitted projects,
    spare capacity after them), else from the zone file (:mod:`app.scoring_io.zone_state`)."""
    from app.scoring_io.zone_state import read_zone_state
    from app.settings import Settings

    state = read_zone_state(zone_file, Settings(), zone)
    return state.config, state.parcels, state.ledger


def project_and_context(project: Path, zone_file: Path) -> tuple[Any, Any, pd.DataFrame, Any]:
    """Return (project, zone config, scored parcels, ledger): the project file validated against
    the rules the check uses — from the zone file first (a bad project file fails before the
    parcels load), or, with a database configured, against the database's rules."""
    from app.settings import Settings
    from scoring.project import load_project
    from scoring.zone import load_zone

    if Settings().database_url:
        zcfg, parcels, ledger = load_context(zone_file)
        return load_project(project, zcfg), zcfg, parcels, ledger
    zcfg = load_zone(zone_file)
    proj = load_project(project, zcfg)
    zcfg, parcels, ledger = load_context(zone_file, zcfg)
    return proj, zcfg, parcels, ledger


def find_parcel(parcels: pd.DataFrame, parcel_id: str) -> pd.Series:
    """Return the row of ``parcel_id``; NotFoundError naming close ids otherwise."""
    if "parcel_id" not in parcels.columns:
        raise SchemaError(
            "the parcel table has no parcel_id column",
            where="parcels",
            msg=msg("error.cli.no_parcel_id"),
        )
    ids = parcels["parcel_id"].astype(str)
    hit = parcels[ids == parcel_id]
    if hit.empty:
        close = difflib.get_close_matches(parcel_id, ids.tolist(), n=3, cutoff=0.6)
        raise NotFoundError(
            f"parcel {parcel_id!r} not found",
            where="--parcel",
            hint=f"did you mean {', '.join(close)}?"
            if close
            else "list parcel ids with the zone's parcels layer",
            msg=msg("error.cli.parcel_close", parcel=parcel_id, close=close)
            if close
            else msg("error.cli.parcel_unknown", parcel=parcel_id),
        )
    return hit.iloc[0]


def _echo_json(data: Any, lang: str) -> None:
    """Print domain JSON (its messages and names rendered in ``lang``)."""
    typer.echo(json.dumps(render_value(data, lang), ensure_ascii=False, indent=2, default=str))


def _print_check(result: Any, lang: str) -> None:
    from scoring.admission import fmt, rule_label

    con = _console()
    head = text(
        "cli.check.head",
        lang,
        project=result.project,
        parcels="+".join(result.parcel_ids),
        area=fmt(result.area_mu),
    )
    con.print(head + _status(result.verdict, lang))
    if result.justified is not None:
        con.print(
            text(
                "cli.check.justified",
                lang,
                area=fmt(result.justified.mu),
                basis=render(result.justified.basis, lang),
            )
        )
    if result.expansion is not None:
        e = result.expansion
        con.print(
            text(
                "cli.check.expansion",
                lang,
                enterprise=e.name,
                land="—" if e.land_mu is None else fmt(e.land_mu),
                land_basis=render(e.land_basis or "—", lang),
                investment="—" if e.investment_wan is None else fmt(e.investment_wan),
                output="—" if e.output_wan is None else fmt(e.output_wan),
                figures_basis=render(e.figures_basis or "—", lang),
                basis=text(_EXPANSION_BASIS[e.basis], lang),
            )
        )
    if result.land is not None:
        land = result.land
        con.print(
            text(
                "cli.check.land",
                lang,
                parcel=fmt(land.parcel_mu),
                net=fmt(land.net_mu),
                granted=fmt(land.granted_mu),
                basis=render(land.basis_label(), lang),
                reason=render(land.reason, lang),
            )
        )
    table = Table(show_lines=False, expand=True)
    heads = (
        "cli.col.rule",
        "cli.col.status",
        "cli.col.value",
        "cli.col.threshold",
        "cli.col.message",
        "cli.col.source",
    )
    for col, ratio in zip(heads, (0, 0, 2, 2, 5, 2)):
        table.add_column(text(col, lang), overflow="fold", ratio=ratio or None, no_wrap=ratio == 0)
    for r in result.rules:
        unit = f" {render(r.unit, lang)}" if r.unit else ""
        value, thr = _cell(r.value, lang), _cell(r.threshold, lang)
        table.add_row(
            text(rule_label(r.rule), lang),
            _status(r.status, lang),
            value + (unit if value != "—" else ""),
            thr + (unit if thr != "—" else ""),
            render(r.message, lang),
            render(r.source, lang),
        )
    con.print(table)


def _cell(v: Any, lang: str) -> str:
    """Return a rule value or threshold as table text."""
    from scoring.admission import fmt

    if v is None:
        return "—"
    if isinstance(v, bool):
        return text("common.yes" if v else "common.no", lang)
    if isinstance(v, float):
        return fmt(v)
    return str(render_value(v, lang))


def check_cmd(
    parcel: str = typer.Option(..., "--parcel", help="parcel id, e.g. SC-0001"),
    project: Path = typer.Option(..., "--project", help="project file (YAML or JSON)"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    lang: str = typer.Option("zh", "--lang", help=LANG_HELP),
    expansion_of: str | None = typer.Option(
        None,
        "--expansion-of",
        help="an existing enterprise (表2-1 name, or one holding land) this project expands: "
        "the project's investment/output are the added amounts, --parcel its new land (or its own parcel)",
    ),
    existing_land_mu: float | None = typer.Option(
        None,
        "--existing-land-mu",
        min=0,
        help="expansion: the enterprise's land now, 亩 (else its parcels / 表2-1)",
    ),
    existing_investment_wan: float | None = typer.Option(
        None,
        "--existing-investment-wan",
        min=0,
        help="expansion: its fixed-asset investment so far, 万元 (else its latest yearly figures)",
    ),
    existing_output_wan: float | None = typer.Option(
        None, "--existing-output-wan", min=0, help="expansion: its annual output now, 万元/年"
    ),
) -> None:
    """Check a project against one parcel: every admission rule, and the verdict. With
    --expansion-of, an existing enterprise's expansion (现有企业扩建), checked like a new project;
    表9-6 intensities on the enterprise after it (zone file ``expansion``)."""
    from app.scoring_io.expansion import expansion_for_cli
    from app.scoring_io.zone_state import measuring_context
    from app.settings import Settings
    from scoring.admission import check_project
    from scoring.land import land_on_context
    from scoring.project import parse_project, project_warnings

    lang = _check_lang(lang)
    zone_file = _zone_file(zone)
    proj, zcfg, parcels, ledger = project_and_context(project, zone_file)
    extra = {
        k: v
        for k, v in (
            ("expansion_of", expansion_of),
            ("existing_land_mu", existing_land_mu),
            ("existing_investment_wan", existing_investment_wan),
            ("existing_output_wan", existing_output_wan),
        )
        if v is not None
    }
    if extra:
        proj = parse_project(proj.model_dump(exclude_none=True) | extra, where=str(project))
    expansion = expansion_for_cli(zone_file, zcfg, proj, parcels)
    row = find_parcel(parcels, parcel)
    land, why = None, None
    if "geometry" in row.index and row["geometry"] is not None:
        try:
            ctx = measuring_context(zone_file, Settings(), zcfg)
        except ParksiteError as exc:  # no layers or DEMs to cut from: the score run's measures
            why = exc.user_message()
        else:
            land = land_on_context(ctx, zcfg, row["geometry"], proj.land_mu)
    result = check_project(zcfg, row, proj, ledger, land=land, expansion=expansion)
    if as_json:
        _echo_json(result.to_dict(), lang)
        return
    for w in project_warnings(proj):
        _console().print(f"[yellow]{text('cli.warning', lang, text=render(w, lang))}[/]")
    if why is not None:
        _console().print(f"[yellow]{text('cli.check.land_measures', lang, reason=render(why, lang))}[/]")
    _print_check(result, lang)


def recommend_cmd(
    project: Path = typer.Option(..., "--project", help="project file (YAML or JSON)"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    top: int = typer.Option(5, "--top", min=1, help="number of candidates"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    lang: str = typer.Option("zh", "--lang", help=LANG_HELP),
) -> None:
    """Rank the vacant parcels (and groups of adjacent parcels) that can take a project."""
    from scoring.recommend import recommend

    lang = _check_lang(lang)
    proj, zcfg, parcels, ledger = project_and_context(project, _zone_file(zone))
    rec = recommend(zcfg, parcels, proj, ledger=ledger, top=top)
    if as_json:
        _echo_json(rec.to_dict(), lang)
        return
    _print_recommendation(rec, proj, lang)


def _print_recommendation(rec: Any, proj: Any, lang: str) -> None:
    """Print a recommendation: the project's warnings, its demand, and the candidates table
    (or why there is none and the nearest miss)."""
    from scoring.admission import fmt
    from scoring.project import project_warnings

    con = _console()
    for w in project_warnings(proj):
        con.print(f"[yellow]{text('cli.warning', lang, text=render(w, lang))}[/]")
    demand_id = "cli.recommend.demand" if rec.demand_declared else "cli.recommend.demand_undeclared"
    con.print(
        text(
            "cli.recommend.head",
            lang,
            project=rec.project,
            demand=text(demand_id, lang, area=fmt(rec.demand_mu)),
            justified=fmt(rec.max_justified_mu),
        )
    )
    if not rec.candidates:
        con.print(f"[red]{render(rec.note, lang)}[/]")
        if rec.closest is not None:
            con.print(text("cli.recommend.nearest", lang))
            _print_check(rec.closest, lang)
        return
    table = Table(expand=True)
    heads = (
        "cli.col.rank",
        "cli.col.parcels",
        "cli.col.area_mu",
        "cli.col.score",
        "cli.col.weakest",
        "cli.col.verdict",
        "cli.col.reason",
    )
    for col, ratio in zip(heads, (0, 2, 0, 0, 2, 0, 5)):
        table.add_column(text(col, lang), overflow="fold", ratio=ratio or None, no_wrap=ratio == 0)
    for c in rec.candidates:
        table.add_row(
            str(c.rank),
            "+".join(c.parcel_ids),
            fmt(c.area_mu),
            fmt(c.score, 1),
            render(c.weakest, lang) or "—",
            _status(c.verdict, lang),
            render(c.reason, lang),
        )
    con.print(table)


def standard_land_cmd(
    parcel: str = typer.Option(..., "--parcel", help="parcel id of a vacant parcel"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    lang: str = typer.Option("zh", "--lang", help=LANG_HELP),
) -> None:
    """Print a vacant parcel's 标准地 sheet: the indicators an investor commits to."""
    from scoring.standard_land import standard_land_sheet

    lang = _check_lang(lang)
    zcfg, parcels, _ = load_context(_zone_file(zone))
    sheet = standard_land_sheet(zcfg, find_parcel(parcels, parcel))
    if as_json:
        _echo_json(sheet.to_dict(), lang)
        return
    _print_standard_land(sheet, lang)


def _print_standard_land(sheet: Any, lang: str) -> None:
    """Print a 标准地 sheet: heading, the indicator table per industry, land controls and notes."""
    from scoring.admission import fmt

    con = _console()
    con.print(
        text(
            "cli.standard_land.head",
            lang,
            parcel=sheet.parcel_id,
            cluster=render(sheet.cluster_name, lang),
            area=fmt(sheet.area_mu),
            score=fmt(sheet.score, 1),
        )
    )
    table = Table()
    heads = (
        "cli.col.industry",
        "cli.col.branches",
        "cli.col.investment_intensity",
        "cli.col.min_investment",
        "cli.col.output_intensity",
        "cli.col.min_output",
        "cli.col.monitoring",
        "cli.col.waste_pct",
        "cli.col.source",
    )
    for col in heads:
        table.add_column(text(col, lang), overflow="fold")
    for r in sheet.rows:
        ref = text("cli.standard_land.reference", lang) if r.reference else ""
        mon = (
            "—"
            if r.online_monitoring_required is None
            else text(
                "cli.standard_land.required"
                if r.online_monitoring_required
                else "cli.standard_land.not_required",
                lang,
            )
        )
        table.add_row(
            r.industry_en if lang == "en" else r.industry,
            render(joined(r.branches), lang) if r.branches else text("cli.standard_land.all", lang),
            fmt(r.investment_intensity_wan_per_mu) + ref,
            fmt(r.min_investment_wan, 0),
            fmt(r.output_intensity_wan_per_mu) + ref,
            fmt(r.min_output_wan, 0),
            mon,
            "—" if r.waste_treatment_pct_min is None else f"≥{fmt(r.waste_treatment_pct_min)}",
            render(r.source, lang),
        )
    con.print(table)
    lc = sheet.land_controls
    if lc:
        con.print(
            text(
                "cli.standard_land.controls",
                lang,
                building=fmt(lc["building_coefficient_min_pct"]),
                admin=fmt(lc["admin_living_max_pct"]),
                green=fmt(lc["green_ratio_max_pct"]),
                source=render(lc["source"], lang),
            )
        )
    for n in sheet.notes:
        con.print(f"[yellow]{render(n, lang)}[/]")


def plan_report_cmd(
    out: Path = typer.Option(..., "--out", help="report file, .xlsx or .csv"),
    zone: Path = typer.Option(None, "--zone", help="zone file (default: PARKSITE_ZONE_FILE)"),
    projects: Path = typer.Option(None, "--projects", help="plan projects file (default: bundled)"),
    top: int = typer.Option(3, "--top", min=1, help="sites listed per project"),
    lang: str = typer.Option("zh", "--lang", help=LANG_HELP),
    allocate: bool = typer.Option(
        False,
        "--allocate",
        help="place the projects in appendix order, sharing land and capacity "
        "(each gets the top free site; adds allocation columns and a summary)",
    ),
) -> None:
    """Run the plan's 47 projects through the recommendation; write XLSX/CSV and print a table."""
    from app.exports.plan_report import write_plan_report
    from scoring.plan_projects import PLAN_PROJECTS_FILE, load_plan_projects
    from scoring.plan_report import plan_report

    lang = _check_lang(lang)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise typer.BadParameter(text("cli.plan_report.bad_out", lang))
    zcfg, parcels, ledger = load_context(_zone_file(zone))
    report = plan_report(
        zcfg,
        parcels,
        load_plan_projects(projects or PLAN_PROJECTS_FILE),
        ledger=ledger,
        top=top,
        allocate=allocate,
    )
    path = write_plan_report(report, out, lang=lang)
    _print_plan_report(report, path, lang)


def _print_plan_report(report: Any, path: Path, lang: str) -> None:
    """Print the plan report's table, its allocation summary (if any) and the verdict counts."""
    from app.exports.plan_report import plan_report_table

    con = _console()
    con.print(plan_report_table(report, lang))
    if report.summary is not None:
        for label, value in report.summary.rows():
            con.print(
                text(
                    "cli.plan_report.summary_row",
                    lang,
                    label=render(label, lang),
                    value=render_value(value, lang),
                )
            )
    c = report.counts()
    con.print(
        text(
            "cli.plan_report.wrote",
            lang,
            path=str(path),
            passed=c["pass"],
            needs_data=c["needs_data"],
            review=c["review"],
            failed=c["fail"],
        )
    )
    for group in report.reasons():
        con.print(f"  [{_STATUS_STYLE[group.verdict]}]•[/] " + render(group.message(), lang))


def register(cli: typer.Typer) -> None:
    """Add the ``check``, ``recommend``, ``standard-land`` and ``plan-report`` commands to ``cli``."""
    cli.command("check")(check_cmd)
    cli.command("recommend")(recommend_cmd)
    cli.command("standard-land")(standard_land_cmd)
    cli.command("plan-report")(plan_report_cmd)
