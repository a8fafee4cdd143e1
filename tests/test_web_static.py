"""The web map's pages and static files, without a browser: served by :func:`app.web.mount`,
self-contained (no external URL in HTML or CSS, every referenced file exists), texts complete in
Chinese and English, and the ES modules' imports resolvable."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db.models import CLUSTER_KINDS, JOB_STATUSES, PARCEL_STATUSES, ROLES
from app.web import STATIC_DIR, TEMPLATES_DIR, mount
from app.web.pages import BASEMAP_IMG_SOURCES, CSP
from app.web.texts import web_catalog
from scoring.admission import RULES
from scoring.rulebook import STATUSES

JS_DIR = STATIC_DIR / "js"
PAGES = ["/", "/jobs", "/dashboard", "/import"]
EXTERNAL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.I)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    mount(app)
    return TestClient(app)


class _Refs(HTMLParser):
    """Collects every src / href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "poster", "data"} and value:
                self.refs.append((tag, name, value))


def _refs(html: str) -> list[tuple[str, str, str]]:
    p = _Refs()
    p.feed(html)
    return p.refs


def _css_urls(text: str) -> list[str]:
    # a quoted url(...) is taken whole, so the fragments (url(%23id)) inside an SVG data URL are
    # not mistaken for files
    urls = [
        a or b or c for a, b, c in re.findall(r"""url\(\s*(?:'([^']*)'|"([^"]*)"|([^'")\s]+))\s*\)""", text)
    ]
    urls += re.findall(r"""@import\s+['"]([^'"]+)['"]""", text)
    return urls


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("path", PAGES)
def test_page_is_html_with_a_strict_csp(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "font-src 'self'" in csp
    assert '<html lang="zh-CN">' in r.text


@pytest.mark.parametrize("path", PAGES)
def test_page_references_no_external_url(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert EXTERNAL.findall(html) == []
    refs = _refs(html)
    assert refs, "the page should load its scripts and styles"
    for tag, attr, value in refs:
        parts = urlsplit(value)
        assert not parts.scheme and not parts.netloc, f"<{tag} {attr}={value!r}> leaves the server"


@pytest.mark.parametrize("path", PAGES)
def test_every_file_a_page_loads_is_served(client: TestClient, path: str) -> None:
    html = client.get(path).text
    loaded = [
        v
        for tag, attr, v in _refs(html)
        if (tag, attr) in {("script", "src"), ("link", "href"), ("img", "src")}
    ]
    assert any(v.startswith("/static/js/") for v in loaded)
    for v in loaded:
        r = client.get(v)
        assert r.status_code == 200, v
        assert len(r.content) > 0, v


def test_map_page_loads_the_vendored_libraries(client: TestClient) -> None:
    html = client.get("/").text
    for lib in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet-geoman/leaflet-geoman.min.js",
        "vendor/chartjs/chart.umd.js",
        "vendor/proj4/proj4.js",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/fontawesome/css/all.min.css",
        "js/map.js",
    ):
        assert f"/static/{lib}?v=" in html, lib
    # the page has no inline script: the CSP (script-src 'self') would block it
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_texts_are_served_one_language_at_a_time_with_an_etag(client: TestClient, lang: str) -> None:
    r = client.get(f"/i18n/{lang}.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["content-language"] == lang
    assert json.loads(r.content) == web_catalog(lang) and len(web_catalog(lang)) > 300
    etag = r.headers["etag"]
    again = client.get(f"/i18n/{lang}.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = "en" if lang == "zh" else "zh"
    assert client.get(f"/i18n/{other}.json").headers["etag"] != etag


def test_texts_of_an_unknown_language_are_not_found(client: TestClient) -> None:
    assert client.get("/i18n/fr.json").status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_page_says_where_its_texts_are(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert 'data-texts="/i18n"' in html
    app = FastAPI()
    mount(app)
    assert 'data-texts="/gis/i18n"' in TestClient(app, root_path="/gis").get(path).text


def test_static_files_are_cache_busted_by_content() -> None:
    from app.web.pages import asset_version

    v = asset_version()
    assert re.fullmatch(r"[0-9a-f]{10}", v)
    assert asset_version() == v


def test_cache_busting_covers_the_modules_in_sub_folders(tmp_path: Path) -> None:
    from app.web.pages import asset_version

    for sub in ("js/clusters", "css"):
        (tmp_path / sub).mkdir(parents=True)
    module = tmp_path / "js" / "clusters" / "editor.js"
    module.write_text("export const a = 1;\n")
    before = asset_version(tmp_path)
    module.write_text("export const a = 2;\n")
    assert asset_version(tmp_path) != before


def test_jobs_page_has_the_upload_form(client: TestClient) -> None:
    html = client.get("/jobs").text
    assert 'id="upload-form"' in html and 'type="file"' in html and 'id="jobs-table"' in html


def test_root_path_prefixes_every_url() -> None:
    app = FastAPI()
    mount(app)
    html = TestClient(app, root_path="/gis").get("/").text
    paths = [v for _, _, v in _refs(html) if v.startswith("/")]
    assert paths and all(v.startswith("/gis/") for v in paths), paths
    assert 'data-api="/gis/api/v1"' in html


# --------------------------------------------------------------------------- CSS


CSS_FILES = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.css"))


@pytest.mark.parametrize("css", CSS_FILES)
def test_css_references_only_files_that_are_here(css: str) -> None:
    path = STATIC_DIR / css
    text = path.read_text(encoding="utf-8")
    for url in _css_urls(text):
        if url.startswith("data:") or url.startswith("#"):
            continue
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{css} loads {url} from elsewhere"
        target = (path.parent / parts.path).resolve()
        assert target.is_file(), f"{css} references {url}, which is not in static/"


def test_css_list_covers_the_vendored_styles() -> None:
    assert {
        "css/app.css",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet-geoman/leaflet-geoman.css",
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/fontawesome/css/all.min.css",
    } <= set(CSS_FILES)


# --------------------------------------------------------------------------- scripts


def _own_js() -> list[Path]:
    """Return the project's own ES modules, those in sub-folders (e.g. ``js/clusters/``) too."""
    return sorted(JS_DIR.rglob("*.js"))


def test_only_the_basemap_module_names_other_hosts() -> None:
    for path in _own_js():
        hosts = {
            urlsplit(u if "//" in u[:8] else "https:" + u).hostname
            for u in EXTERNAL.findall(path.read_text())
        }
        if path.name == "basemaps.js":
            assert hosts == {"t{s}.tianditu.gov.cn", "tile.openstreetmap.org"}
        else:
            assert hosts == set(), f"{path.name} names {hosts}"
    # and the page's CSP allows images from exactly those hosts
    assert all(src in CSP for src in BASEMAP_IMG_SOURCES)


_IMPORT = re.compile(r"""import\s*\{([^}]*)\}\s*from\s*["'](\.\.?/[^"']+)["']""")
_EXPORT = re.compile(r"export\s+(?:async\s+)?(?:function|class|const|let)\s+(\w+)")
_EXPORT_LIST = re.compile(r"export\s*\{([^}]*)\}")


def _exports(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    names = set(_EXPORT.findall(text))
    for group in _EXPORT_LIST.findall(text):
        names |= {n.strip().split(" as ")[-1] for n in group.split(",") if n.strip()}
    return names


@pytest.mark.parametrize("module", [p.relative_to(JS_DIR).as_posix() for p in _own_js()])
def test_module_imports_resolve(module: str) -> None:
    path = JS_DIR / module
    text = path.read_text(encoding="utf-8")
    for names, target in _IMPORT.findall(text):
        dep = (path.parent / target).resolve()
        assert dep.is_relative_to(JS_DIR.resolve()), f"{module} imports {target}, outside static/js"
        assert dep.is_file(), f"{module} imports {target}, which does not exist"
        missing = {n.strip().split(" as ")[0] for n in names.split(",") if n.strip()} - _exports(dep)
        assert not missing, f"{module} imports {sorted(missing)} that {target} does not export"


# --------------------------------------------------------------------------- texts


def _dict(lang: str) -> dict[str, str]:
    return web_catalog(lang)


def test_chinese_and_english_have_the_same_keys() -> None:
    zh, en = _dict("zh"), _dict("en")
    assert set(zh) == set(en)
    assert all(v.strip() for v in zh.values()) and all(v.strip() for v in en.values())


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in _own_js():
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", text))
    for path in TEMPLATES_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""data-i18n(?:-placeholder|-title|-aria)?=["']([\w.]+)["']""", text))
        keys |= set(re.findall(r"""title_key\s*%\}([\w.]+)\{%""", text))
    return keys


def test_every_text_the_pages_use_exists() -> None:
    zh = _dict("zh")
    used = _used_keys()
    assert len(used) > 100
    assert sorted(used - set(zh)) == []


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("status_parcel", PARCEL_STATUSES),
        ("jobs.status", JOB_STATUSES),
        ("kind", CLUSTER_KINDS),
        ("role", ROLES),
        ("rule", tuple(r.id for r in RULES)),
        ("status", STATUSES),
        ("style", ("class", "status", "cluster")),
        (
            "layer",
            (
                "parks",
                "clusters",
                "parcels",
                "roads",
                "rivers",
                "substations",
                "water",
                "places",
                "slope",
                "recommend",
            ),
        ),
        ("basemap", ("hillshade", "tianditu", "osm", "none")),
    ],
)
def test_texts_cover_every_value_of_the_domain(prefix: str, values: tuple[str, ...]) -> None:
    zh, en = _dict("zh"), _dict("en")
    for v in values:
        assert f"{prefix}.{v}" in zh and f"{prefix}.{v}" in en, f"{prefix}.{v}"


def test_rule_names_follow_the_plan_terms() -> None:
    zh = _dict("zh")
    assert zh["rule.investment_intensity"] == "投资强度" and zh["rule.output_intensity"] == "产出强度"
    assert zh["tab.clusters"] == "组团" and zh["unit.mu"] == "亩" and "标准地" in zh["panel.standard_land"]
    assert "准入" in zh["tab.check"]


def test_vendor_md_lists_every_vendored_folder() -> None:
    text = (STATIC_DIR / "vendor" / "VENDOR.md").read_text(encoding="utf-8")
    folders = sorted(p.name for p in (STATIC_DIR / "vendor").iterdir() if p.is_dir())
    for name in folders:
        assert f"| {name} |" in text, f"vendor/{name} is not listed in VENDOR.md"


def test_vendored_files_are_the_pinned_npm_packages() -> None:
    """Leaflet, Leaflet-Geoman and Leaflet.VectorGrid are pinned in package.json (and
    package-lock.json); the files served from app/static/vendor are those of node_modules
    (``npm ci``) byte for byte (scripts/vendor_npm.py), and VENDOR.md names the same versions."""
    import importlib.util
    import json

    root = STATIC_DIR.parents[1]
    spec = importlib.util.spec_from_file_location("vendor_npm", root / "scripts" / "vendor_npm.py")
    assert spec and spec.loader
    vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor)
    assert vendor.differences() == []
    pins = json.loads((root / "package.json").read_text(encoding="utf-8"))["dependencies"]
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    table = (STATIC_DIR / "vendor" / "VENDOR.md").read_text(encoding="utf-8")
    for folder, package in (
        ("leaflet", "leaflet"),
        ("leaflet-geoman", "@geoman-io/leaflet-geoman-free"),
        ("vectorgrid", "leaflet.vectorgrid"),
    ):
        assert package in vendor.FILES
        assert lock[f"node_modules/{package}"]["version"] == pins[package]
        assert f"| {folder} | {package} | {pins[package]} " in table, folder
