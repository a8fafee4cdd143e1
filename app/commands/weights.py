"""``parksite weights --ahp MATRIX.csv [--json]``: criterion weights from an AHP pairwise
comparison matrix, with λmax, CI and CR.

The CSV has a header row of criterion ids (its first cell labels the id column and is
ignored) and one row per criterion, in the header's order, whose first cell is the criterion
id and whose entries are Saaty judgements: numbers or fractions such as ``1/3``::

    criterion,slope,power,road
    slope,1,3,5
    power,1/3,1,2
    road,1/5,1/2,1
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.commands.lang import LANG_HELP, current, error_line, set_lang
from app.errors import exit_code_for
from app.i18n import text as tr
from gis.errors import InputFileError, ParksiteError, SchemaError
from gis.messages import msg

if TYPE_CHECKING:  # numpy and scoring.* are imported where used, to keep `parksite` startup light
    import numpy as np

    from scoring.ahp import AHPResult

_HINT = "the CSV needs a header row of criterion ids and one row per criterion, e.g. 'slope,1,3,1/5'"
_FORM = msg("error.ahp_csv.form")


def read_ahp_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """Return the criterion ids and the pairwise matrix (n × n floats) of an AHP CSV file.

    Raises InputFileError for a missing, unreadable or empty file and SchemaError, naming the
    line, row and column, for a matrix that is not square, rows out of the header's order, or
    entries that are not positive numbers or fractions.
    """
    import numpy as np

    from scoring.zone import parse_saaty

    path = Path(path)
    if not path.is_file():
        raise InputFileError(
            "AHP matrix file not found",
            where=str(path),
            hint=_HINT,
            msg=msg("error.ahp_csv.not_found", form=_FORM),
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(
            "not UTF-8 text", where=str(path), hint="save the CSV as UTF-8", msg=msg("error.ahp_csv.not_utf8")
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot read the file: {exc.strerror}",
            where=str(path),
            msg=msg("error.ahp_csv.unreadable", detail=str(exc.strerror)),
        ) from None
    try:
        rows = [(i, [c.strip() for c in r]) for i, r in enumerate(csv.reader(text.splitlines()), start=1)]
    except csv.Error as exc:
        raise InputFileError(
            f"not a valid CSV file: {exc}",
            where=str(path),
            hint=_HINT,
            msg=msg("error.ahp_csv.not_csv", detail=str(exc), form=_FORM),
        ) from None
    rows = [(i, r) for i, r in rows if any(r)]
    if not rows:
        raise InputFileError(
            "the file is empty", where=str(path), hint=_HINT, msg=msg("error.ahp_csv.empty", form=_FORM)
        )

    header_line, header = rows[0]
    ids = header[1:]
    lang = current()
    where_header = tr("cli.weights.at_line", lang, path=str(path), line=header_line)
    if len(ids) < 2:
        raise SchemaError(
            f"the header names {len(ids)} criterion id(s); at least 2 are needed",
            where=where_header,
            hint=_HINT,
            msg=msg("error.ahp_csv.too_few", n=len(ids), form=_FORM),
        )
    if any(not i for i in ids):
        k = ids.index("")
        raise SchemaError(
            f"header column {k + 2} has no criterion id",
            where=where_header,
            hint=_HINT,
            msg=msg("error.ahp_csv.blank_id", column=k + 2, form=_FORM),
        )
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SchemaError(
            f"criterion ids repeated in the header: {dupes}",
            where=where_header,
            msg=msg("error.ahp_csv.repeated", ids=dupes),
        )

    body = rows[1:]
    n = len(ids)
    if len(body) != n:
        raise SchemaError(
            f"the matrix is not square: the header names {n} criteria ({', '.join(ids)}) "
            f"but there are {len(body)} data row(s)",
            where=str(path),
            hint=_HINT,
            msg=msg("error.ahp_csv.not_square", n=n, ids=ids, rows=len(body), form=_FORM),
        )
    matrix = np.empty((n, n))
    for r, (line, cells) in enumerate(body):
        rid = cells[0]
        where = tr("cli.weights.at_line", lang, path=str(path), line=line)
        if len(cells) != n + 1:
            raise SchemaError(
                f"row '{rid}' has {len(cells) - 1} entries, expected {n} (one per criterion in the header): "
                "the matrix is not square",
                where=where,
                msg=msg("error.ahp_csv.row_length", row=rid, found=len(cells) - 1, n=n),
            )
        if rid != ids[r]:
            raise SchemaError(
                f"row {r + 1} is for '{rid}' but column {r + 1} is '{ids[r]}'; "
                "list the rows in the header's order",
                where=where,
                msg=msg("error.ahp_csv.row_order", number=r + 1, row=rid, column=ids[r]),
            )
        for c, cell in enumerate(cells[1:]):
            cell_where = tr("cli.weights.at_cell", lang, where=where, row=rid, column=ids[c])
            try:
                value = float(parse_saaty(cell))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise SchemaError(
                    f"{cell!r} is not a number or a fraction like 1/3",
                    where=cell_where,
                    hint="use Saaty's scale 1/9 … 9",
                    msg=msg("error.ahp_csv.not_number", cell=cell),
                ) from None
            if not math.isfinite(value) or value <= 0:
                raise SchemaError(
                    f"{cell!r} must be a positive number (Saaty's scale 1/9 … 9)",
                    where=cell_where,
                    msg=msg("error.ahp_csv.not_positive", cell=cell),
                )
            matrix[r, c] = value
    return ids, matrix


def result_json(ids: list[str], res: AHPResult) -> dict[str, object]:
    """Return the JSON-ready summary: criteria, weights by id, lambda_max, ci, cr, consistent."""
    return {
        "criteria": ids,
        "weights": {i: float(w) for i, w in zip(ids, res.weights)},
        "lambda_max": float(res.lambda_max),
        "ci": float(res.ci),
        "cr": float(res.cr),
        "consistent": bool(res.consistent),
    }


def render(ids: list[str], res: AHPResult, out: Console, lang: str = "zh") -> None:
    """Print the weights table and the consistency summary in ``lang``."""
    import numpy as np

    from scoring.ahp import CR_LIMIT, RANDOM_INDEX

    t = Table(title=tr("cli.weights.title", lang))
    t.add_column("#", justify="right")
    t.add_column(tr("cli.weights.criterion", lang))
    t.add_column(tr("cli.weights.weight", lang), justify="right")
    t.add_column("%", justify="right")
    order = np.argsort(-res.weights, kind="stable")
    rank = np.empty(len(ids), dtype=int)
    rank[order] = np.arange(1, len(ids) + 1)
    for i, (cid, w) in enumerate(zip(ids, res.weights)):
        t.add_row(str(rank[i]), escape(cid), f"{w:.4f}", f"{100 * w:.1f}")
    out.print(t)
    n = len(ids)
    verdict = (
        f"[green]{tr('cli.weights.acceptable', lang)}[/green] (CR ≤ {CR_LIMIT:.2f})"
        if res.consistent
        else f"[red]{tr('cli.weights.not_acceptable', lang)}[/red] (CR > {CR_LIMIT:.2f})"
    )
    out.print(
        f"n = {n}, λmax = {res.lambda_max:.4f}, CI = {res.ci:.4f}, RI = {RANDOM_INDEX[n]:.2f}, "
        f"CR = {res.cr:.4f}: {verdict}",
        highlight=False,
        soft_wrap=True,
    )


def register(cli: typer.Typer) -> None:
    """Add the ``weights`` command to ``cli``."""

    @cli.command("weights")
    def weights(
        ahp: Path = typer.Option(
            ..., "--ahp", help="CSV pairwise comparison matrix (header of criterion ids)"
        ),
        as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
        lang: str = typer.Option(None, "--lang", help=LANG_HELP),
    ) -> None:
        """权重 Criterion weights from an AHP pairwise comparison matrix: weights, λmax, CI, CR.

        Exits non-zero (showing the CR) when CR > 0.10.
        """
        from scoring.ahp import ahp_weights, check_consistency

        lang = set_lang(lang) if lang else current()
        try:
            ids, matrix = read_ahp_csv(ahp)
            res = ahp_weights(matrix, where=str(ahp), labels=ids)
        except ParksiteError as exc:
            _fail(exc)
        if as_json:
            typer.echo(json.dumps(result_json(ids, res), ensure_ascii=False, indent=2))
        else:
            render(ids, res, Console(), lang)
        try:
            check_consistency(res, where=str(ahp))
        except ParksiteError as exc:
            _fail(exc)


def _fail(exc: ParksiteError) -> NoReturn:
    Console(stderr=True).print(f"[red]{escape(error_line(exc))}[/red]", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code_for(exc)) from exc
