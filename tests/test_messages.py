"""The message catalogue against the code: every id the code uses is in every language, no text is
left untranslated, every placeholder is filled by the parameters the code passes, ids are unique.

The code's ids are found in its syntax tree (``gis/``, ``scoring/``, ``app/``): every string
constant shaped like a catalogue id (``namespace.word…`` with a namespace the catalogue uses),
and the parameters passed with it in ``msg("id", k=…)``, ``Message("id", {k: …})``,
``text("id", lang, k=…)`` and ``against(…, ids=(…), params={k: …})``.
"""

from __future__ import annotations

import ast
import re
import string
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.i18n import LANGS, LOCALE_DIR, catalog, render, text
from gis.errors import GENERIC_IDS, ParksiteError, SchemaError
from gis.messages import Joined, Message, Name, msg
from scoring.admission import RULES, check_project
from tests.admission_fixtures import jiaokou, layers, ledger, make_parcels, parcel, project

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("gis", "scoring", "app")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

#: Dotted string constants in the code that are not message ids (module paths, file names,
#: column and field paths), with why.
NOT_IDS: dict[str, str] = {
    "app.commands.admission": "module path",
    "app.commands.cluster": "module path",
    "app.commands.db": "module path",
    "app.commands.export": "module path",
    "app.commands.report": "module path",
    "app.commands.sample": "module path",
    "app.commands.score": "module path",
    "app.commands.serve": "module path",
    "app.commands.slope": "module path",
    "app.commands.weights": "module path",
    "app.commands.zone": "module path",
    "app.ogc": "module path",
    "app.web": "module path",
    "app.sample.infrastructure": "module path",
    "app.sample.layout": "module path",
    "app.sample.parcels": "module path",
    "gis.synthetic.side_of_line": "random-seed label",
    "error.html": "template file",
    "jobs.html": "template file",
    "map.html": "template file",
    "parcels.geometry": "column path in an error's 'where'",
    "parcels.id": "foreign key",
    "zone.crs": "zone-file field path",
    "zone.clusters.admits": "rule input (zone-file field)",
}


def _not_an_id(value: str) -> bool:
    """Module paths (``app.commands.…``) and page templates (``….html``) are not message ids."""
    return value.startswith(("app.commands.", "app.sample.")) or value.endswith(".html")


# --------------------------------------------------------------------------- the catalogue


def placeholders(template: str) -> set[str]:
    """Return the names of the ``{name}`` placeholders of a catalogue text."""
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(template) if f}


def po_ids(lang: str) -> Iterator[tuple[Path, str]]:
    """Yield (file, id) for every message of every PO file of ``lang``, duplicates included."""
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r'^msgid "(.+)"$', line)
            if m:
                yield path, m.group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_ids_are_unique_in_each_language(lang):
    seen: dict[str, Path] = {}
    twice = []
    for path, mid in po_ids(lang):
        if mid in seen:
            twice.append(f"{mid} ({seen[mid].name}, {path.name})")
        seen[mid] = path
    assert not twice, f"ids defined twice in {lang}: {twice}"
    assert set(seen) == set(catalog(lang))


def test_every_language_has_the_same_ids_in_the_same_files():
    files = {lang: {mid: path.name for path, mid in po_ids(lang)} for lang in LANGS}
    zh = files["zh"]
    for lang in LANGS:
        assert files[lang] == zh, (
            f"{lang}: missing {sorted(set(zh) - set(files[lang]))}, extra {sorted(set(files[lang]) - set(zh))}"
        )


#: Chinese texts that are rightly not Chinese (the language switch names the other language).
NOT_CHINESE = {"lang.switch"}


def test_every_text_is_translated():
    """No text is empty; English texts have no Chinese; Chinese texts with words in them are
    Chinese (a text made only of placeholders and signs, e.g. "{rule}：{message}", is exempt)."""
    for mid, zh in catalog("zh").items():
        en = catalog("en")[mid]
        assert zh.strip() and en.strip(), f"{mid}: empty text"
        assert not CJK.search(en) or mid in NOT_CHINESE, f"{mid}: English text has Chinese: {en!r}"
        words = re.sub(r"\{[^}]*\}", "", zh)
        if mid not in NOT_CHINESE and re.search(r"[A-Za-z]", words):
            assert CJK.search(words), f"{mid}: Chinese text is untranslated: {zh!r}"
        if CJK.search(zh) is None:
            assert not re.search(r"[A-Za-z]{2,}", words) or mid in NOT_CHINESE, mid


def test_every_text_renders_with_sample_parameters():
    for lang in LANGS:
        for mid, template in catalog(lang).items():
            if "{{" in template:  # a text about placeholders, showing some literally
                continue
            params = {name: 1.5 for name in placeholders(template)}
            out = text(mid, lang, **params)
            assert not re.search(r"\{[a-z_]+\}", out), (mid, lang, out)


def test_po_files_parse_with_babel():
    for lang in LANGS:
        for path in sorted((LOCALE_DIR / lang).glob("*.po")):
            with path.open("rb") as f:
                cat = read_po(f)
            assert len(cat) > 0, path


# --------------------------------------------------------------------------- the code


class Use:
    """One place the code names a message id, with the parameter names it passes (None: unknown)."""

    def __init__(self, where: str, params: set[str] | None):
        self.where = where
        self.params = params


def _const(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dict_keys(node: ast.AST) -> set[str] | None:
    if isinstance(node, ast.Dict) and all(k is not None and _const(k) for k in node.keys):
        return {_const(k) for k in node.keys}  # type: ignore[misc]
    return None


def _func_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def code_uses() -> dict[str, list[Use]]:
    """Return {id: [uses]} for every id-shaped string constant in the code."""
    namespaces = {mid.split(".")[0] for mid in catalog("zh")}
    uses: dict[str, list[Use]] = defaultdict(list)
    for top in CODE_DIRS:
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            rel = path.relative_to(ROOT)
            skip: set[int] = set()
            known: dict[int, set[str] | None] = {}
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = _func_name(node)
                if name == "Rule":  # a rule's inputs are field names, not message ids
                    if len(node.args) > 2:
                        skip.update(id(n) for n in ast.walk(node.args[2]))
                    for kw in node.keywords:
                        if kw.arg == "inputs":
                            skip.update(id(n) for n in ast.walk(kw.value))
                elif name in {"msg", "text"} and node.args and _const(node.args[0]):
                    spread = any(kw.arg is None for kw in node.keywords)
                    known[id(node.args[0])] = None if spread else {kw.arg for kw in node.keywords if kw.arg}
                elif name == "Message" and node.args and _const(node.args[0]):
                    params = node.args[1] if len(node.args) > 1 else None
                    known[id(node.args[0])] = set() if params is None else _dict_keys(params)
                elif name == "against":
                    kws = {kw.arg: kw.value for kw in node.keywords}
                    ids, params = kws.get("ids"), kws.get("params")
                    if isinstance(ids, ast.Tuple):
                        keys = _dict_keys(params) if params is not None else None
                        for elt in ids.elts:
                            known[id(elt)] = keys
            for node in ast.walk(tree):
                value = _const(node)
                if value is None or id(node) in skip or not ID_RE.match(value):
                    continue
                if value.split(".")[0] not in namespaces or value in NOT_IDS or _not_an_id(value):
                    continue
                uses[value].append(Use(f"{rel}:{node.lineno}", known.get(id(node))))  # type: ignore[attr-defined]
    return uses


USES = code_uses()


def test_the_scan_finds_the_code_ids():
    assert len(USES) > 300
    assert "rule.investment_intensity" in USES or "rule.intensity.pass" in USES


def test_every_id_in_the_code_is_in_every_catalogue():
    for lang in LANGS:
        cat = catalog(lang)
        missing = {mid: [u.where for u in us][:3] for mid, us in USES.items() if mid not in cat}
        assert not missing, f"ids used in the code but not in the {lang} catalogue: {missing}"


def test_every_placeholder_is_filled_by_the_parameters_passed():
    """In every language (a language may leave a parameter out: "{cluster} ({park})" in English,
    where the Chinese cluster name already says its park)."""
    cats = [catalog(lang) for lang in LANGS]
    problems = []
    for mid, us in USES.items():
        if any(mid not in cat for cat in cats):
            continue
        need = set().union(*(placeholders(cat[mid]) for cat in cats))
        for u in us:
            if u.params is not None and not need <= u.params:
                problems.append(f"{u.where}: {mid} needs {sorted(need - u.params)}")
    assert not problems, "\n".join(problems)


def test_domain_ids_are_used_by_the_code():
    """Every id of the domain catalogues (gis.po, scoring.po, app.po) is named in the code
    (web.po is the map's, used by app/static)."""
    unused = sorted(
        mid
        for path, mid in po_ids("en")
        if path.name in {"gis.po", "scoring.po", "app.po"} and mid not in USES and mid not in _DYNAMIC
    )
    assert not unused, f"catalogue ids no code names: {unused}"


#: Ids the code builds from data (``status.<status>``, ``rule.<rule id>``, generic errors).
_DYNAMIC: set[str] = {*GENERIC_IDS.values(), *(r.label for r in RULES)}


# --------------------------------------------------------------------------- the rules


def test_rule_table_ids_are_in_the_catalogue():
    cat = catalog("zh")
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.label in cat, r.id
        for mid in r.messages:
            assert mid in cat, f"{r.id}: {mid}"


def _scenarios():
    zone = jiaokou()
    yield check_project(zone, make_parcels(parcel("P1", mu=20)).iloc[0], project(), ledger())
    yield check_project(
        zone,
        make_parcels(parcel("P1", mu=400, status="industrial", score=20, cluster="sc-almg")).iloc[0],
        project(online_monitoring=None, waste_treatment_pct=90, land_mu=None),
        None,
    )
    yield check_project(
        zone,
        make_parcels(parcel("P1", mu=5, excluded=True, reasons="river")).iloc[0],
        project(investment_wan=100, output_wan=100),
        ledger(),
    )


def test_rule_outcomes_render_in_both_languages():
    """Every outcome of a few checks renders in both languages; English has no Chinese beyond
    the names of the data (facilities of the capacity layers)."""
    subs, water = layers()
    data_names = [*subs["name"], *water["name"]]
    for result in _scenarios():
        for r in result.rules:
            for part in (r.message, r.source, r.unit):
                if part is None:
                    continue
                zh, en = render(part, "zh"), render(part, "en")
                assert "{" not in zh and "{" not in en, (r.rule, zh, en)
                for name in data_names:
                    en = en.replace(name, "")
                assert not CJK.search(en), f"{r.rule}: {en!r}"
            assert CJK.search(render(r.message, "zh")), r.rule


# --------------------------------------------------------------------------- errors


def test_errors_render_in_the_users_language():
    err = SchemaError("field x is bad", where="parcels.gpkg", msg=msg("error.layer.no_features"))
    assert CJK.search(render(err.user_message(), "zh"))
    assert not CJK.search(render(err.user_message(), "en"))
    plain = ParksiteError("something broke")
    assert CJK.search(render(plain.user_message(), "zh"))
    assert "something broke" in render(plain.user_message(), "en")


def test_names_and_joined_render_per_language():
    both = Joined((Name("工业", "industrial"), msg("unit.mu")), "list")
    assert render(both, "zh").startswith("工业、")
    assert render(both, "en").startswith("industrial, ")
    assert render(Message("unit.mu", {}), "en") == render(msg("unit.mu"), "en")
