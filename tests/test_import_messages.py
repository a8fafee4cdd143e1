"""The import's part of the message catalogue (app/locale/<lang>/import.po): every id the dry
run uses is in both languages, with the same placeholders, and Chinese texts are Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.db.import_layers import LAYERS
from app.i18n import LANGS, catalog

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _ids(lang: str) -> dict[str, str]:
    with (ROOT / "app" / "locale" / lang / "import.po").open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def _used() -> set[str]:
    """Ids the code names literally, and the members of the families it builds with f-strings."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "app" / "sources").glob("*.py"))
    found = set(re.findall(r'"(import\.[a-z_.]+[a-z_])"', text))
    families = {
        "import.dxf.{}": ["closed", "open", "duplicates", "unlabelled", "ambiguous"],
        "import.dxf.kind.{}": ["line", "polygon", "hatch", "text", "block", "point", "other"],
        "import.encoding.how.{}": ["given", "cpg", "ldid", "header", "bom", "detected", "ascii"],
        "import.problem.{}": ["overlap", "gap", "outside_park", "sliver"],
        "import.layer_name.{}": list(LAYERS),
        "import.how.take.{}": ["code", "status", "name", "name_en", "cover"],
        "import.section.{}": ["areas", "problems", "dem", "outcome", "layer"],
    }
    for pattern, members in families.items():
        found |= {pattern.format(m) for m in members}
    return found


def test_both_languages_hold_the_same_ids_and_placeholders():
    zh, en = _ids("zh"), _ids("en")
    assert sorted(zh) == sorted(en)
    differ = {k for k in zh if set(PLACEHOLDER.findall(zh[k])) != set(PLACEHOLDER.findall(en[k]))}
    assert differ == set()
    assert all(v.strip() for v in [*zh.values(), *en.values()])


@pytest.mark.parametrize("lang", LANGS)
def test_every_id_the_dry_run_uses_is_in_the_catalogue(lang):
    missing = sorted(_used() - set(catalog(lang)))
    assert missing == []


def test_english_has_no_chinese_and_chinese_is_chinese():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    zh, en = _ids("zh"), _ids("en")
    assert [k for k, v in en.items() if cjk.search(v)] == []
    # Names of formats, tools and options, and the "xx" of "37 5xx xxx", stay as they are.
    latin_ok = {"DEM", "DXF", "PROJ", "CGCS", "ASCII", "parksite", "dry", "run", "crs", "encoding"}
    latin_ok |= {"dem", "resolution", "cpg", "dbf", "xx", "xxx", "JSON", "YAML"}
    words = {k: set(re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", v))) - latin_ok for k, v in zh.items()}
    assert {k: w for k, w in words.items() if w} == {}
