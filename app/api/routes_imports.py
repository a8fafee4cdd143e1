"""``/imports``: a zone's own files uploaded, dry-run and imported (admins: ``import_zone``).

``POST /imports`` takes the files (layers: DXF, Shapefile parts, GeoJSON, GeoPackage, zip;
tables: XLSX, CSV; DEMs and tiles: GeoTIFF; optionally a field-mapping ``.yaml``) and the
field mapping as text, stores them in ``<state_dir>/imports/<id>/`` under their base names and
answers with the dry-run report (:func:`app.sources.dry_run.plan_import`, rendered in the
``Accept-Language``): nothing is written to the database. An uploaded zone file (a ``.yaml``
with a top-level ``zone:``) sets up a new zone; without one the served zone's file is used
(``Settings.zone_file``). ``POST /imports/{id}/dry-run`` runs it again with an edited mapping,
CRS or encoding, and with the choices made in the page's field table (``choices``: JSON
``{layer: {target: source field}}``, written into the mapping by
:func:`app.sources.mapping_edit.apply_choices`); ``POST /imports/{id}/import`` imports, all or nothing (``replace`` for a zone
already in the database). DEM mosaics go to ``<state_dir>/dems/``. Uploads are kept
:data:`KEEP_DAYS` days.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field
from shapely.geometry import mapping as mapping_of

from app.api.deps import StateDep, needs
from app.api.models import ErrorBody
from app.db.models import UserRow
from app.i18n import negotiate
from app.sources.dry_run import ImportPlan, ImportRequest, plan_import, run_import
from app.sources.mapping_edit import apply_choices, field_table
from gis.errors import ConfigError, InputFileError, LimitExceededError, NotFoundError
from gis.messages import msg

router = APIRouter(tags=["imports"])

Importer = Annotated[UserRow, Depends(needs("import_zone"))]

#: File endings an upload may have.
ALLOWED = frozenset(
    {
        ".shp",
        ".shx",
        ".dbf",
        ".prj",
        ".cpg",
        ".qix",
        ".dxf",
        ".geojson",
        ".json",
        ".gpkg",
        ".zip",
        ".xlsx",
        ".csv",
    }
    | {".tif", ".tiff", ".yaml", ".yml"}
)
MAX_FILES = 200
#: Layers with more features than this are not drawn on the page's map (the report still counts them).
MAX_OUTLINES = 20_000
MAPPING_FILE = "mapping.yaml"
#: Uploads are kept this many days (for dry runs again and a later import), then removed.
KEEP_DAYS = 7
_ID = re.compile(r"^[0-9a-f]{32}$")
_CHUNK = 1 << 20


def _folder(state: Any, upload_id: str) -> Path:
    folder = Path(state.settings.state_dir) / "imports" / upload_id
    if not _ID.match(upload_id) or not folder.is_dir():
        raise NotFoundError("no such upload", where=f"upload {upload_id}", hint="upload the files again")
    return folder


def _forget_old(root: Path) -> None:
    """Remove uploads last touched more than :data:`KEEP_DAYS` days ago."""
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_DAYS * 86_400
    for folder in root.iterdir():
        if folder.is_dir() and _ID.match(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _safe_name(name: str | None) -> str:
    base = Path((name or "").replace("\\", "/")).name
    if not base or base.startswith(".") or Path(base).suffix.lower() not in ALLOWED:
        raise InputFileError(
            f"{base or '(no name)'!r} is not a file parksite imports",
            where="upload",
            hint=f"upload {', '.join(sorted(ALLOWED))} files",
        )
    return base


def _save(files: list[UploadFile], folder: Path, budget: int) -> list[str]:
    if len(files) > MAX_FILES:
        raise LimitExceededError(f"{len(files)} files, more than {MAX_FILES}", where="upload")
    names = []
    for f in files:
        name = _safe_name(f.filename)
        with open(folder / name, "wb") as out:
            while chunk := f.file.read(_CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise LimitExceededError("the files are larger than the upload limit", where=name)
                out.write(chunk)
        names.append(name)
    return names


def _mapping(folder: Path, text: str | None) -> Path | None:
    """The mapping file: ``text`` written as mapping.yaml, else an uploaded one naming layers."""
    target = folder / MAPPING_FILE
    if text is not None and text.strip():
        target.write_text(text, encoding="utf-8")
        return target
    if target.is_file():
        return target
    for p in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        if re.search(r"^layers\s*:", p.read_text(encoding="utf-8", errors="replace"), re.M):
            return p
    return None


def _zone_file(folder: Path) -> Path | None:
    """An uploaded zone file (a YAML file with a top-level ``zone:``), for a new zone."""
    for p in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        if p.name != MAPPING_FILE and re.search(
            r"^zone\s*:", p.read_text(encoding="utf-8", errors="replace"), re.M
        ):
            return p
    return None


class ImportForm(BaseModel):
    """The options of an upload's dry run and import (form fields; all optional)."""

    mapping: str | None = Field(None, description="the field mapping (YAML)")
    crs: str | None = Field(None, description="CRS of files that declare none")
    encoding: str | None = Field(None, description="text encoding of files that do not say")
    dem_resolution: float | None = Field(None, description="cell size (m) of reprojected DEMs")


class DryRunForm(ImportForm):
    """A dry run again: the options, and the field table's choices."""

    choices: str | None = Field(
        None, description="the field table's choices, JSON {layer: {target field: source field}}"
    )


class ImportNowForm(ImportForm):
    """The import itself: the options, and whether to replace a zone already in the database."""

    replace: bool = Field(False, description="replace the zone if it is in the database")


def _plan(state: Any, folder: Path, form: ImportForm) -> tuple[ImportPlan, Path | None]:
    settings = state.settings
    mapping_file = _mapping(folder, form.mapping)
    zone_file = _zone_file(folder) or Path(settings.zone_file)
    tiles = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".tif", ".tiff"))
    request = ImportRequest(
        zone_file=zone_file,
        mapping_file=mapping_file,
        dems=tiles or None,
        crs=form.crs or None,
        encoding=form.encoding or None,
        dem_resolution=form.dem_resolution,
        dem_folder=(Path(settings.state_dir) / "dems").resolve(),
    )
    return plan_import(request), mapping_file


def _answer(
    request: Request, upload_id: str, folder: Path, plan: ImportPlan, mapping: Path | None
) -> dict[str, Any]:
    lang = negotiate(request.headers.get("accept-language"))
    report = plan.report.to_dict(lang)
    # Paths on the server are of no use to the page: files are named as uploaded, and what
    # parksite writes (DEM mosaics) relative to its state folder.
    prefixes = (
        str(folder.resolve()) + "/",
        str(Path(request.app.state.api.settings.state_dir).resolve()) + "/",
    )

    def shown(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    for item in report["items"]:
        item["text"] = shown(item["text"])
    for feature in report["problems"]["features"]:
        feature["properties"]["text"] = shown(feature["properties"]["text"])
    text = mapping.read_text(encoding="utf-8") if mapping else ""
    return {
        "upload_id": upload_id,
        "files": sorted(p.name for p in folder.iterdir() if p.is_file()),
        "mapping": text,
        "fields": field_table(text, plan.converted),
        "report": report,
        "layers": _outlines(plan),
    }


def _chosen(folder: Path, mapping: str | None, choices: str | None) -> str | None:
    """The mapping text with the field table's ``choices`` (JSON) made, or ``mapping`` as given."""
    if not choices or not choices.strip():
        return mapping
    try:
        chosen = json.loads(choices)
    except json.JSONDecodeError as e:
        chosen = e
    if not isinstance(chosen, dict) or not all(isinstance(v, dict) for v in chosen.values()):
        raise ConfigError(
            "choices must be a JSON object {layer: {target field: source field}}",
            where="choices",
            msg=msg("import.mapping.bad_choices"),
        )
    current = _mapping(folder, mapping)
    text = current.read_text(encoding="utf-8") if current else ""
    return apply_choices(text, chosen)


def _outlines(plan: ImportPlan) -> dict[str, Any]:
    """The parks' and parcels' outlines as read, in lon/lat (CRS84), for the page's map."""
    out: dict[str, Any] = {}
    for name, id_field in (("parks", "park_id"), ("clusters", "cluster_id"), ("parcels", "parcel_id")):
        c = plan.converted.get(name)
        if c is None or not len(c.frame) or len(c.frame) > MAX_OUTLINES:
            continue
        frame = c.frame.to_crs("OGC:CRS84")
        ids = frame[id_field].astype(str).tolist() if id_field in frame.columns else [""] * len(frame)
        out[name] = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": mapping_of(g), "properties": {"id": i}}
                for g, i in zip(frame.geometry, ids)
                if g is not None
            ],
        }
    return out


@router.post(
    "/imports",
    responses={
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        413: {"model": ErrorBody},
    },
    summary="Upload a zone's own files and dry-run their import (nothing is written)",
)
def upload(
    request: Request,
    state: StateDep,
    user: Importer,
    files: Annotated[list[UploadFile], File(description="layers, tables, DEM tiles, a mapping .yaml")],
    form: Annotated[ImportForm, Form()],
) -> dict[str, Any]:
    upload_id = uuid.uuid4().hex
    root = Path(state.settings.state_dir) / "imports"
    _forget_old(root)
    folder = root / upload_id
    folder.mkdir(parents=True)
    _save(files, folder, int(state.settings.max_body_mb * 1e6))
    plan, mapping_file = _plan(state, folder, form)
    return _answer(request, upload_id, folder, plan, mapping_file)


@router.post(
    "/imports/{upload_id}/dry-run",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}},
    summary="Dry-run an upload again, with an edited mapping, CRS or encoding",
)
def dry_run(
    request: Request,
    state: StateDep,
    user: Importer,
    upload_id: str,
    form: Annotated[DryRunForm, Form()],
) -> dict[str, Any]:
    folder = _folder(state, upload_id)
    form.mapping = _chosen(folder, form.mapping, form.choices)
    plan, mapping_file = _plan(state, folder, form)
    return _answer(request, upload_id, folder, plan, mapping_file)


@router.post(
    "/imports/{upload_id}/import",
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
    summary="Import an upload: the dry run again, then everything in one transaction",
)
def import_upload(
    request: Request,
    state: StateDep,
    user: Importer,
    upload_id: str,
    form: Annotated[ImportNowForm, Form()],
) -> dict[str, Any]:
    folder = _folder(state, upload_id)
    plan, mapping_file = _plan(state, folder, form)
    result = run_import(state.factory, plan, replace=form.replace, user=user.name)
    answer = _answer(request, upload_id, folder, plan, mapping_file)
    answer["imported"] = {"zone_id": result.zone_id, "action": result.action, "counts": result.counts}
    return answer
