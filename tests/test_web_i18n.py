"""The web's part of the message catalogue (``app/locale/<lang>/web.po`` and ``common.po``, served
by ``GET /i18n/{lang}.json``): every id in both languages with the same placeholders, every text
translated and in its own language, and every placeholder filled where the pages use a text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.i18n import LANGS, catalog
from app.web import STATIC_DIR
from app.web.texts import WEB_DOMAINS, domain_ids, web_catalog

PLACEHOLDER = re.compile(r"\{(\w*)\}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: Words of Latin letters a Chinese text writes so: units, file formats, names of products.
LATIN_OK = frozenset(
    {"kW", "DEM", "OpenStreetMap", "GeoPackage", "GeoJSON", "Shapefile", "tk"}
    | {"DXF", "GBK", "UTF", "XLSX", "CSV", "GeoTIFF", "YAML", "CAD", "PDF", "HTML"}  # file formats
    | {"TD"}  # a standard's code, TD/T 1029 (开发区土地集约利用评价规程)
)
#: The language button names the other language; a dash is a dash in both.
SAME_OK = {"status_parcel.undefined"}
OTHER_LANGUAGE_OK = {"lang.switch"}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_web_catalogue_is_the_web_and_common_files() -> None:
    assert WEB_DOMAINS == ("common", "web")
    for lang in LANGS:
        ids = [i for d in WEB_DOMAINS for i in domain_ids(lang, d)]
        assert len(ids) == len(set(ids)) > 300
        assert sorted(ids) == list(web_catalog(lang))
        assert all(web_catalog(lang)[i] == catalog(lang)[i] for i in ids)


@pytest.mark.parametrize("domain", WEB_DOMAINS)
def test_every_id_is_in_every_language(domain: str) -> None:
    zh = domain_ids("zh", domain)
    for lang in LANGS:
        assert sorted(domain_ids(lang, domain)) == sorted(zh), lang


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_is_empty(lang: str) -> None:
    assert [k for k, v in web_catalog(lang).items() if not v.strip()] == []


def test_every_text_has_the_same_placeholders_in_every_language() -> None:
    zh = web_catalog("zh")
    for lang in LANGS:
        texts = web_catalog(lang)
        differ = {k: (zh[k], texts[k]) for k in zh if _placeholders(zh[k]) != _placeholders(texts[k])}
        assert differ == {}, lang
    assert all(name for text in zh.values() for name in _placeholders(text)), "an empty {} placeholder"


def test_every_text_is_translated() -> None:
    zh, en = web_catalog("zh"), web_catalog("en")
    assert sorted(k for k in zh if zh[k] == en[k]) == sorted(SAME_OK)


def test_english_texts_have_no_chinese() -> None:
    en = web_catalog("en")
    assert {k: v for k, v in en.items() if CJK.search(v) and k not in OTHER_LANGUAGE_OK} == {}


def test_chinese_texts_have_no_english_words() -> None:
    zh = web_catalog("zh")
    found = {}
    for k, v in zh.items():
        words = set(re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", v))) - LATIN_OK
        if words and k not in OTHER_LANGUAGE_OK:
            found[k] = v
    assert found == {}


# --------------------------------------------------------------------------- where the pages use them

#: A call t("id") or t("id", {…}) with a literal id in the pages' scripts.
_CALL = re.compile(r"""\bt\(\s*["']([\w.]+)["']\s*(?:,\s*(\{[^{}]*\}|[^)\s][^)]*))?\)""", re.S)


def _arguments(obj: str) -> set[str] | None:
    """Return the keys of an object literal ``{a: x, b}`` (None when the argument is no literal)."""
    if not obj.startswith("{"):
        return None
    body = obj[1:-1]
    while True:  # drop calls and groups, so that their commas do not split the keys
        shorter = re.sub(r"\([^()]*\)", "", body)
        if shorter == body:
            break
        body = shorter
    keys = set()
    for part in body.split(","):
        key = part.split(":")[0].strip()
        if re.fullmatch(r"\w+", key):
            keys.add(key)
    return keys


def _calls() -> list[tuple[str, str, set[str] | None]]:
    """Return (script, id, keys given) of every t() call with a literal id."""
    out = []
    js = STATIC_DIR / "js"
    for path in sorted(js.rglob("*.js")):  # sub-folders too (js/clusters/)
        for m in _CALL.finditer(path.read_text(encoding="utf-8")):
            given = _arguments(m.group(2).strip()) if m.group(2) else set()
            out.append((path.relative_to(js).as_posix(), m.group(1), given))
    return out


def test_the_calls_are_found() -> None:
    calls = _calls()
    assert len(calls) > 150
    assert ("check.js", "check.max_justified", {"mu"}) in calls


def test_every_placeholder_is_filled_where_a_text_is_used() -> None:
    zh = web_catalog("zh")
    unfilled = []
    for script, key, given in _calls():
        if given is None or key not in zh:
            continue  # an argument that is no object literal; unknown ids fail in test_web_static
        missing = _placeholders(zh[key]) - given
        if missing:
            unfilled.append((script, key, sorted(missing)))
    assert unfilled == []


def test_no_dictionary_is_left_beside_the_catalogue() -> None:
    assert not (STATIC_DIR / "i18n").exists() or not any(Path(STATIC_DIR / "i18n").iterdir())
