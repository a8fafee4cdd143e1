"""Copy (or, with ``--check``, compare) the vendored front-end files that package.json pins from
``node_modules`` into ``app/static/vendor``, so that what the app serves is the published
package, byte for byte.

    npm ci                                  # the versions of package-lock.json
    python scripts/vendor_npm.py --check    # exit 1 and name each file that differs
    python scripts/vendor_npm.py            # copy them (after changing a version in package.json)

Leaflet.VectorGrid's npm package has no LICENSE file: its licence is the "Legalese" section of
its README, kept in ``vendor/vectorgrid/LICENSE`` (with a line on the libraries its bundle
holds); ``--check`` checks that the README's licence text is in that file.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules"
VENDOR = ROOT / "app" / "static" / "vendor"

#: (file or folder in node_modules, file or folder in app/static/vendor), per pinned package.
FILES: dict[str, list[tuple[str, str]]] = {
    "leaflet": [
        ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
        ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
        ("leaflet/dist/images", "leaflet/images"),
        ("leaflet/LICENSE", "leaflet/LICENSE"),
    ],
    "@geoman-io/leaflet-geoman-free": [
        ("@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js", "leaflet-geoman/leaflet-geoman.min.js"),
        ("@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css", "leaflet-geoman/leaflet-geoman.css"),
        ("@geoman-io/leaflet-geoman-free/LICENSE", "leaflet-geoman/LICENSE"),
    ],
    "leaflet.vectorgrid": [
        (
            "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
            "vectorgrid/Leaflet.VectorGrid.bundled.min.js",
        ),
    ],
}
#: The README whose licence section is vendor/vectorgrid/LICENSE.
VECTORGRID_README = "leaflet.vectorgrid/README.md"


def _files(src: Path, dst: Path) -> list[tuple[Path, Path]]:
    if src.is_dir():
        return [(f, dst / f.relative_to(src)) for f in sorted(src.rglob("*")) if f.is_file()]
    return [(src, dst)]


def beerware_text(readme: str) -> str:
    """Return the licence paragraph of Leaflet.VectorGrid's README (the Beer-Ware licence)."""
    start = readme.index('"THE BEER-WARE LICENSE"')
    end = readme.index("a beer in return.", start) + len("a beer in return.")
    return readme[start:end]


def differences() -> list[str]:
    """Return what differs between node_modules and the vendored files (empty: all the same);
    a package missing from node_modules is named with the fix (``npm ci``)."""
    out: list[str] = []
    for package, pairs in FILES.items():
        if not (NODE / package / "package.json").is_file():
            out.append(f"node_modules/{package} is not installed: run `npm ci`")
            continue
        for src, dst in pairs:
            for s, d in _files(NODE / src, VENDOR / dst):
                if not d.is_file() or d.read_bytes() != s.read_bytes():
                    out.append(
                        f"app/static/vendor/{d.relative_to(VENDOR)} differs from node_modules/{s.relative_to(NODE)}"
                    )
    readme = NODE / VECTORGRID_README
    if readme.is_file() and beerware_text(readme.read_text(encoding="utf-8")) not in (
        VENDOR / "vectorgrid" / "LICENSE"
    ).read_text(encoding="utf-8"):
        out.append(
            "app/static/vendor/vectorgrid/LICENSE lacks the licence of node_modules/" + VECTORGRID_README
        )
    return out


def copy() -> None:
    """Copy every pinned file from node_modules into app/static/vendor (SystemExit when a
    package is not installed)."""
    missing = [p for p in FILES if not (NODE / p / "package.json").is_file()]
    if missing:
        raise SystemExit(f"not installed in node_modules: {', '.join(missing)}: run `npm ci`")
    for pairs in FILES.values():
        for src, dst in pairs:
            for s, d in _files(NODE / src, VENDOR / dst):
                d.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(s, d)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when anything differs")
    args = parser.parse_args(argv)
    if not args.check:
        copy()
    problems = differences()
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
