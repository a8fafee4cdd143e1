"""``GET /api/v1/exports/{kind}``: the zone's exchange files over HTTP.

``kind`` is ``gpkg`` (whole zone), ``shapefile`` (parcels, zipped), ``csv`` (``table=scores`` or
``verdicts``) or ``xlsx`` (workbook). CSV and XLSX are in one language, headers and values:
``lang`` (``headers``, its older name, for CSV), else ``Accept-Language``, else Chinese. The file is written to a
temporary directory, sent, and deleted after the response. ``zone`` picks the zone (default as
for the OGC service: the only zone, else the settings' zone file). A domain error (no such zone,
…) propagates to the application's handler (``app.api.factory``'s, else the one
:func:`app.ogc.mount` adds), which answers in the one error shape of :mod:`app.error_shape`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from app.exports import KINDS, export_zone
from app.i18n import negotiate
from app.ogc.deps import default_session, resolve_zone


def exports_router(
    *,
    get_session: Callable[..., Iterator[Session]] | None = None,
    zone_id: str | None = None,
    dependencies: Sequence[Depends] = (),
) -> APIRouter:
    """Return the router of ``GET /exports/{kind}`` (include it with ``prefix="/api/v1"``).

    ``dependencies`` are added to the route (e.g. the API's "signed-in viewer" check).
    """
    router = APIRouter(tags=["exports 数据导出"], dependencies=list(dependencies))
    session_dep = Depends(get_session or default_session)

    @router.get(
        "/exports/{kind}",
        name="export_file",
        summary="Download the zone as GeoPackage, zipped Shapefile, CSV or XLSX",
        responses={200: {"content": {media: {} for _, media in KINDS.values()}}},
    )
    def export_file(
        kind: Literal["gpkg", "shapefile", "csv", "xlsx"],
        zone: str | None = Query(None, description="zone id (default: the published zone)"),
        table: Literal["scores", "verdicts"] = Query("scores", description="csv: which table"),
        headers: Literal["zh", "en"] | None = Query(None, description="csv: the language (= lang)"),
        lang: Literal["zh", "en"] | None = Query(
            None, description="csv, xlsx: zh or en (headers and values)"
        ),
        crs: str | None = Query(
            None, description="shapefile: output CRS, e.g. EPSG:4490 (default: the zone CRS)"
        ),
        session: Session = session_dep,
        accept_language: str | None = Header(None),
    ) -> Response:
        language = lang or headers or negotiate(accept_language)
        work = Path(tempfile.mkdtemp(prefix="parksite-export-"))
        try:
            z = resolve_zone(session, zone or zone_id)
            suffix, media = KINDS[kind]
            stem = (
                f"{z.id}_{table}" if kind == "csv" else (f"{z.id}_parcels" if kind == "shapefile" else z.id)
            )
            path = export_zone(
                session, z.id, kind, work / f"{stem}{suffix}", table=table, lang=language, crs=crs
            )
        except BaseException:  # a domain error reaches the app's handler: the one error shape
            shutil.rmtree(work, ignore_errors=True)
            raise
        return FileResponse(
            path,
            media_type=media,
            filename=path.name,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"},
            background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
        )

    return router
