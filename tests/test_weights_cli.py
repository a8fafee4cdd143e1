"""``parksite weights --ahp MATRIX.csv [--json]`` (app/commands/weights.py)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from app.commands.weights import read_ahp_csv, register
from gis.errors import InputFileError, SchemaError

# Saaty (2008) drinks matrix, published weights .177 .019 .042 .116 .190 .129 .327, CR 0.022
# (see tests/test_ahp.py for the citation), written as a planner would: fractions, spaces.
DRINKS_CSV = """\
criterion, coffee, wine, tea, beer, soda, milk, water
coffee, 1, 9, 5, 2, 1, 1, 1/2
wine, 1/9, 1, 1/3, 1/9, 1/9, 1/9, 1/9
tea, 1/5, 3, 1, 1/3, 1/4, 1/3, 1/9
beer, 1/2, 9, 3, 1, 1/2, 1, 1/3
soda, 1, 9, 4, 2, 1, 2, 1/2
milk, 1, 9, 3, 1, 1/2, 1, 1/3
water, 2, 9, 9, 3, 2, 3, 1
"""
DRINKS = {
    "coffee": 0.177,
    "wine": 0.019,
    "tea": 0.042,
    "beer": 0.116,
    "soda": 0.190,
    "milk": 0.129,
    "water": 0.327,
}

# Saaty (1990) house criteria: CR = 0.169, inconsistent.
HOUSE_CSV = """\
,size,transport,neighbourhood,age,yard,modern,condition,financing
size,1,5,3,7,6,6,1/3,1/4
transport,1/5,1,1/3,5,3,3,1/5,1/7
neighbourhood,1/3,3,1,6,3,4,6,1/5
age,1/7,1/5,1/6,1,1/3,1/4,1/7,1/8
yard,1/6,1/3,1/3,3,1,1/2,1/5,1/6
modern,1/6,1/3,1/4,4,2,1,1/5,1/6
condition,3,5,1/6,7,5,5,1,1/2
financing,4,7,5,8,6,6,2,1
"""


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps "weights" a sub-command name
        pass

    return app


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "m.csv", encoding: str = "utf-8") -> str:
        p = tmp_path / name
        p.write_text(text, encoding=encoding)
        return str(p)

    return _write


def test_table_for_a_consistent_matrix(cli, write):
    r = CliRunner().invoke(cli, ["weights", "--ahp", write(DRINKS_CSV)], env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    for text in (
        "coffee",
        "water",
        "0.3268",
        "32.7",
        "λmax = 7.1766",
        "CI = 0.0294",
        "RI = 1.32",
        "CR = 0.0223",
        "一致性可接受",
        "权重",
    ):
        assert text in r.stdout, text
    assert "不可接受" not in r.stdout and "weight" not in r.stdout
    en = CliRunner().invoke(
        cli, ["weights", "--ahp", write(DRINKS_CSV), "--lang", "en"], env={"COLUMNS": "120"}
    )
    assert "consistency acceptable" in en.stdout and "AHP weights" in en.stdout
    assert "not acceptable" not in en.stdout and "权重" not in en.stdout


def test_json_for_a_consistent_matrix(cli, write):
    r = CliRunner().invoke(cli, ["weights", "--ahp", write(DRINKS_CSV), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"criteria", "weights", "lambda_max", "ci", "cr", "consistent"}
    assert out["criteria"] == list(DRINKS)
    assert out["weights"] == pytest.approx(DRINKS, abs=5e-4)
    assert sum(out["weights"].values()) == pytest.approx(1.0)
    assert round(out["cr"], 3) == 0.022
    assert out["ci"] == pytest.approx((out["lambda_max"] - 7) / 6)
    assert out["consistent"] is True


@pytest.mark.parametrize("as_json", [False, True])
def test_inconsistent_matrix_exits_nonzero_showing_the_cr(cli, write, as_json):
    args = ["weights", "--ahp", write(HOUSE_CSV), "--lang", "en"] + (["--json"] if as_json else [])
    r = CliRunner().invoke(cli, args, env={"COLUMNS": "120"})
    assert r.exit_code == 8  # ConfigError in app/errors.py
    assert "CR = 0.169 exceeds 0.10" in r.stderr
    if as_json:
        out = json.loads(r.stdout)
        assert out["consistent"] is False and round(out["cr"], 3) == 0.169
        assert round(out["lambda_max"], 3) == 9.669
    else:
        assert "CR = 0.1691" in r.stdout and "not acceptable" in r.stdout
        assert "financing" in r.stdout and "0.3332" in r.stdout


def test_bom_blank_lines_and_decimal_entries_are_accepted(cli, write):
    text = "\n" + "id,a,b\n\na,1,0.25\nb,4,1\n\n"
    r = CliRunner().invoke(cli, ["weights", "--ahp", write(text, encoding="utf-8-sig"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["weights"] == pytest.approx({"a": 0.2, "b": 0.8})


CASES = [
    # (csv text, exit code, text in the error)
    (
        "id,a,b,c\na,1,2,3\nb,1/2,1,2\n",
        5,
        "not square: the header names 3 criteria (a, b, c) but there are 2 data row(s)",
    ),
    ("id,a,b,c\na,1,2,3\nb,1/2,1\nc,1/3,1/2,1\n", 5, "line 3: row 'b' has 2 entries, expected 3"),
    (
        "id,a,b\na,1,abc\nb,1,1\n",
        5,
        "line 2, row 'a', column 'b': 'abc' is not a number or a fraction like 1/3",
    ),
    ("id,a,b\na,1,2\nb,1/0,1\n", 5, "line 3, row 'b', column 'a': '1/0' is not a number"),
    ("id,a,b\na,1,\nb,1,1\n", 5, "line 2, row 'a', column 'b': '' is not a number"),
    ("id,a,b\na,1,-2\nb,-1/2,1\n", 5, "row 'a', column 'b': '-2' must be a positive number"),
    ("id,a,b\na,1,inf\nb,0,1\n", 5, "row 'a', column 'b': 'inf' must be a positive number"),
    ("id,a,b\nb,1,2\na,1/2,1\n", 5, "row 1 is for 'b' but column 1 is 'a'"),
    ("id,a,a\na,1,2\na,1/2,1\n", 5, "criterion ids repeated in the header: a"),
    ("id,a\na,1\n", 5, "at least 2 are needed"),
    ("id,a,,c\na,1,1,1\nb,1,1,1\nc,1,1,1\n", 5, "header column 3 has no criterion id"),
    ("id,a,b,c\na,1,2,3\nb,1/2,1,2\nc,1/2,1/2,1\n", 8, "not reciprocal: a[a,c] = 3 but a[c,a] = 0.5"),
    ("id,a,b\na,2,2\nb,1/2,1\n", 8, "diagonal entries must be 1, but a[a,a] = 2"),
    ("", 2, "the file is empty"),
    ("\n\n", 2, "the file is empty"),
]


@pytest.mark.parametrize(("text", "code", "message"), CASES, ids=[m[:40] for _, _, m in CASES])
def test_bad_files_exit_nonzero_saying_where(cli, write, text, code, message):
    path = write(text)
    r = CliRunner().invoke(cli, ["weights", "--ahp", path, "--lang", "en"], env={"COLUMNS": "400"})
    assert r.exit_code == code, r.output
    err = " ".join(r.stderr.split())  # undo any wrapping
    assert message in err
    assert path in err


def test_missing_file(cli, tmp_path):
    from app.commands.lang import set_lang

    set_lang("en")  # messages asserted in English (the test app has no --lang)
    path = str(tmp_path / "nope.csv")
    r = CliRunner().invoke(cli, ["weights", "--ahp", path])
    assert r.exit_code == 2
    assert "AHP matrix file not found" in r.stderr and "nope.csv" in r.stderr


def test_not_utf8(cli, tmp_path):
    from app.commands.lang import set_lang

    set_lang("en")  # messages asserted in English (the test app has no --lang)
    p = tmp_path / "gbk.csv"
    p.write_bytes("准则,坡度,道路\n坡度,1,3\n道路,1/3,1\n".encode("gbk"))
    r = CliRunner().invoke(cli, ["weights", "--ahp", str(p)])
    assert r.exit_code == 2 and "not UTF-8" in r.stderr


def test_read_ahp_csv_returns_ids_and_matrix(write):
    ids, m = read_ahp_csv(write("准则,坡度,道路\n坡度,1,3\n道路,1/3,1\n"))
    assert ids == ["坡度", "道路"]
    assert m.tolist() == [[1.0, 3.0], [pytest.approx(1 / 3), 1.0]]


def test_read_ahp_csv_error_types(write, tmp_path):
    with pytest.raises(InputFileError):
        read_ahp_csv(tmp_path / "missing.csv")
    with pytest.raises(SchemaError, match="not square"):
        read_ahp_csv(write("id,a,b\na,1,1\n"))
