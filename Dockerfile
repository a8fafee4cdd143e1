# parksite: the web map and API on the embedded SpatiaLite database (or PostGIS via
# PARKSITE_DATABASE_URL), and the Dask scheduler and workers of docker-compose.yml.
# Build: docker build -t parksite .  Run: docker run -p 8000:8000 parksite  (docs/deployment.md)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PARKSITE_HOST=0.0.0.0 \
    PARKSITE_PORT=8000 \
    PARKSITE_STATE_DIR=/var/lib/parksite

# The runtime Debian packages of scripts/setup.sh (tests/test_compose.py keeps the two lists
# together): SpatiaLite for the embedded database; Pango and HarfBuzz for WeasyPrint's PDF
# reports, with CJK fonts; pg_dump/pg_restore/psql for `parksite db backup|restore` on PostGIS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite fonts-noto-cjk \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 parksite \
 && mkdir -p /var/lib/parksite && chown parksite:parksite /var/lib/parksite

WORKDIR /opt/parksite
COPY pyproject.toml README.md ./
COPY app ./app
COPY gis ./gis
COPY scoring ./scoring
COPY data ./data
RUN pip install --no-cache-dir -e .

USER parksite
EXPOSE 8000
VOLUME ["/var/lib/parksite"]
CMD ["parksite", "serve"]
