"""The 亩均效益 evaluation as an Excel workbook a zone office files (openpyxl), in one language.

Sheets: one per group (规上 / 规下): per enterprise every indicator's value, benchmark, weight and
points, then total, rank and class; ``D类名单`` / D list; ``未参评`` / not evaluated (规下 under
the scope's 亩); ``评价方法`` / Method (indicators, units, weights, benchmarks, cap, classes and
their policies, sources). Values to 0.01 (a percentage to 0.01 %), points to 0.01.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from app.exports.tables import Lang, atomic_path
from app.exports.workbook import sheet_title, write_table
from app.i18n import text
from scoring.evaluation import EnterpriseResult, Evaluation
from scoring.evaluation_method import GROUPS

#: Message ids of the scopes (规上, 规下, out of scope) and of the reasons for class T.
GROUP_IDS = {"above": "eval.group.above", "below": "eval.group.below", "out": "eval.group.out"}
EXEMPT_IDS = {"new": "eval.exempt.new", "kind": "eval.exempt.kind"}


def _name(zh: str, en: str, lang: Lang) -> str:
    return zh if lang == "zh" else en


def _class_label(e: EnterpriseResult, lang: Lang) -> str:
    if e.klass is None:
        return ""
    if e.klass == "T":
        if e.exempt:
            return text("eval.class_t_why", lang, reason=text(EXEMPT_IDS[e.exempt], lang))
        return text("eval.class_t", lang)
    return e.klass


def group_rows(ev: Evaluation, group: str, lang: Lang) -> pd.DataFrame:
    """Return the group's enterprises as a table: name, land (亩), per indicator value,
    benchmark, weight, points; total, rank, class."""
    inds = ev.method.indicators[group]  # type: ignore[index]
    rows: list[dict[str, Any]] = []
    for e in ev.enterprises:
        if e.scope != group:
            continue
        row: dict[str, Any] = {
            text("eval.col.enterprise", lang): e.name,
            text("eval.col.land_mu", lang): round(e.land_mu, 2),
        }
        for ind in inds:
            item = e.items[ind.id]
            label = _name(ind.name, ind.name_en, lang)
            unit = ind.unit if lang == "zh" else (ind.unit_en or ind.unit)
            row[text("eval.col.value", lang, indicator=label, unit=unit)] = (
                None if item.value is None else round(item.value, 2)
            )
            row[text("eval.col.benchmark", lang, indicator=label)] = round(item.benchmark, 2)
            row[text("eval.col.weight", lang, indicator=label)] = item.weight
            row[text("eval.col.points", lang, indicator=label)] = round(item.points, 2)
        row[text("eval.col.score", lang)] = e.score
        row[text("eval.col.rank", lang)] = e.rank
        row[text("eval.col.class", lang)] = _class_label(e, lang)
        rows.append(row)
    return pd.DataFrame(rows)


def d_rows(ev: Evaluation, lang: Lang) -> pd.DataFrame:
    """Return the D list: name, group, score, rank and the class's policy."""
    policy = next((c for c in ev.method.classes if c.id == "D"), None)
    return pd.DataFrame(
        [
            {
                text("eval.col.enterprise", lang): e.name,
                text("eval.col.group", lang): text(GROUP_IDS[e.scope], lang),
                text("eval.col.score", lang): e.score,
                text("eval.col.rank", lang): e.rank,
                text("eval.col.policy", lang): _name(policy.policy, policy.policy_en, lang) if policy else "",
            }
            for e in ev.d_list()
        ],
        columns=[
            text(c, lang)
            for c in (
                "eval.col.enterprise",
                "eval.col.group",
                "eval.col.score",
                "eval.col.rank",
                "eval.col.policy",
            )
        ],
    )


def method_rows(ev: Evaluation, lang: Lang) -> pd.DataFrame:
    """Return the method: per indicator its group, name, unit, weight, benchmark, cap, source;
    then per class its rank share and policy."""
    m = ev.method
    rows: list[dict[str, Any]] = []
    for g in GROUPS:
        for ind in m.indicators[g]:
            rows.append(
                {
                    text("eval.col.group", lang): text(GROUP_IDS[g], lang),
                    text("eval.col.item", lang): _name(ind.name, ind.name_en, lang),
                    text("eval.col.unit", lang): ind.unit if lang == "zh" else (ind.unit_en or ind.unit),
                    text("eval.col.weight_only", lang): ind.weight,
                    text("eval.col.benchmark_only", lang): _round(ev.benchmarks[g][ind.id]),
                    text("eval.col.cap", lang): m.cap,
                    text("eval.col.source", lang): ind.benchmark.source,
                }
            )
    for c in m.classes:
        rows.append(
            {
                text("eval.col.group", lang): text("eval.col.class", lang) + " " + c.id,
                text("eval.col.item", lang): _name(c.name, c.name_en, lang),
                text("eval.col.unit", lang): text("eval.class_share", lang, upto=round(c.upto * 100)),
                text("eval.col.source", lang): _name(c.policy, c.policy_en, lang) + " — " + c.source,
            }
        )
    return pd.DataFrame(rows)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def write_evaluation(
    ev: Evaluation, out: str | Path, lang: Lang = "zh", *, illustrative: bool = False
) -> Path:
    """Write the evaluation to the XLSX ``out`` (written whole, then moved into place) and return
    its path. ``illustrative``: the figures are the sample's invented ones — every sheet says so."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for g in GROUPS:
        ws = wb.create_sheet(sheet_title(text(GROUP_IDS[g], lang), taken))
        write_table(ws, group_rows(ev, g, lang))
    write_table(wb.create_sheet(sheet_title(text("eval.sheet.d_list", lang), taken)), d_rows(ev, lang))
    out_rows = pd.DataFrame(
        [
            {text("eval.col.enterprise", lang): e.name, text("eval.col.land_mu", lang): round(e.land_mu, 2)}
            for e in ev.enterprises
            if e.scope == "out"
        ],
        columns=[text("eval.col.enterprise", lang), text("eval.col.land_mu", lang)],
    )
    write_table(wb.create_sheet(sheet_title(text("eval.sheet.out", lang), taken)), out_rows)
    ws = wb.create_sheet(sheet_title(text("eval.sheet.method", lang), taken))
    write_table(ws, method_rows(ev, lang))
    ws.append([])
    ws.append([text("eval.sheet.note", lang, year=ev.year, title=ev.method.title, source=ev.method.source)])
    if illustrative:
        for sheet in wb.worksheets:
            sheet.append([])
            sheet.append([text("report.cli.illustrative", lang)])
    target = Path(out)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
