"""A zone's own files made into parksite's layers, checked before anything is written.

:mod:`~app.sources.mapping` reads a field-mapping file (which file is which layer, which field
is which, code tables, units); :mod:`~app.sources.convert` reads the files through ``gis/``
(DXF, Shapefiles in GBK or UTF-8, GeoPackage, GeoJSON; XLSX/CSV joins; a 三调 overlay) and maps
them; :mod:`~app.sources.dems` mosaics and reprojects DEM tiles; :mod:`~app.sources.dry_run`
reports what an import would do (``parksite import --dry-run``); :mod:`~app.sources.zone_init`
writes a new zone file from the layers (``parksite zone init``).
"""
