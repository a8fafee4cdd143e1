"""Files around a score run: reading a zone's files and parcel files, writing scored parcels.

:mod:`~app.scoring_io.zone_files` loads a zone file's GeoPackage and DEMs into a
:class:`scoring.context.ZoneContext`; :mod:`~app.scoring_io.parcel_files` reads parcel layers and
writes scored parcels (GeoPackage, GeoJSON, CSV); :mod:`~app.scoring_io.runs` scores a parcel
file end to end (``parksite score``); :mod:`~app.scoring_io.cache` holds the process-wide cache
of a zone's own parcels, scored. The measuring and scoring themselves are in ``scoring/``.
"""
