"""Confidential reads need a signed-in user (issue 16, defect 9).

Recorded projects carry investors' investment, output and tax figures, their check results and
who checked them; the exports carry enterprises' figures and project verdicts. Anonymous users
used to read both. Now: anonymous → 401, any signed-in role → 200, ``PARKSITE_PUBLIC_READS``
opens them (and ``PARKSITE_REQUIRE_LOGIN`` still closes every read). Map layers stay public.
"""

from __future__ import annotations

import pytest

from app.settings import Settings
from tests.api_fixtures import auth, make_client
from tests.test_api_checks import PROJECT

CONFIDENTIAL = [
    "/api/v1/projects",
    "/api/v1/projects?status=reviewed",
    "/api/v1/projects/{pid}",
    "/api/v1/exports/gpkg",
    "/api/v1/exports/xlsx",
    "/api/v1/exports/csv?table=verdicts",
    "/api/v1/exports/csv",
    "/api/v1/exports/shapefile",
]
MAP_LAYERS = ["/api/v1/zone", "/api/v1/parks", "/api/v1/clusters", "/api/v1/parcels", "/ogc/collections"]


@pytest.fixture(scope="module")
def project_db(api_db, tmp_path_factory):
    """The shared database with one recorded check (project figures and who checked them)."""
    with make_client(api_db, tmp_path_factory.mktemp("record")) as c:
        r = c.post(
            "/api/v1/check",
            json={"parcel_id": "SC-0002", "project": {**PROJECT, "name": "保密项目"}, "record": True},
            headers=auth(c, "manager"),
        )
        assert r.status_code == 200, r.text
        yield api_db, r.json()["recorded"]["project_id"]


def urls(pid: int) -> list[str]:
    return [u.format(pid=pid) for u in CONFIDENTIAL]


def test_anonymous_users_cannot_read_project_figures_or_exports(project_db, tmp_path):
    db, pid = project_db
    with make_client(db, tmp_path) as c:
        for url in urls(pid):
            r = c.get(url)
            assert r.status_code == 401, (url, r.text[:200])
            body = r.json()
            assert body["error"] == "NotAuthenticatedError" and r.headers["www-authenticate"] == "Bearer"
            assert "请登录" in body["message"] and body["message"] == body["message_zh"]
            assert "log in" in body["message_en"] and "PARKSITE_PUBLIC_READS" in body["message_en"]
            assert "保密项目" not in r.text
        for url in MAP_LAYERS:
            assert c.get(url).status_code == 200, url
        # the OGC landing page offers no export links that would answer 401
        links = c.get("/ogc?f=json").json()["links"]
        assert not [lk for lk in links if lk["rel"] == "enclosure"]


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_signed_in_users_of_any_role_read_them(project_db, tmp_path, role):
    db, pid = project_db
    with make_client(db, tmp_path) as c:
        for url in urls(pid):
            r = c.get(url, headers=auth(c, role))
            assert r.status_code == 200, (url, r.text[:200])
        project = c.get(f"/api/v1/projects/{pid}", headers=auth(c, role)).json()
        assert project["name"] == "保密项目" and project["checks"][0]["checked_by"] == "manager"


def test_public_reads_open_them(project_db, tmp_path):
    db, pid = project_db
    with make_client(db, tmp_path / "p", public_reads="projects") as c:
        assert c.get(f"/api/v1/projects/{pid}").status_code == 200
        assert c.get("/api/v1/exports/gpkg").status_code == 401
    with make_client(db, tmp_path / "a", public_reads="all") as c:
        for url in urls(pid):
            assert c.get(url).status_code == 200, url
        links = c.get("/ogc?f=json").json()["links"]
        assert [lk["href"] for lk in links if lk["rel"] == "enclosure"][0].endswith("/api/v1/exports/gpkg")
    with make_client(db, tmp_path / "l", public_reads="all", require_login=True) as c:
        for url in urls(pid)[:4]:
            assert c.get(url).status_code == 401, url  # login required for every read wins


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("PARKSITE_PUBLIC_READS", "exports, projects")
    assert Settings().public_reads == ["exports", "projects"]
    monkeypatch.setenv("PARKSITE_PUBLIC_READS", "ALL")
    assert Settings().public_reads == ["projects", "exports"]
    monkeypatch.setenv("PARKSITE_PUBLIC_READS", "parcels")
    with pytest.raises(ValueError, match="unknown read"):
        Settings()
    monkeypatch.delenv("PARKSITE_PUBLIC_READS")
    assert Settings().public_reads == []


def test_the_stand_alone_feature_server_serves_exports_only_when_public(monkeypatch, api_db):
    """``app.ogc.standalone`` has no sign-in: its exports exist only when opened."""
    from fastapi.testclient import TestClient

    from app.ogc.standalone import create_ogc_app
    from app.settings import get_settings

    monkeypatch.setenv("PARKSITE_DATABASE_URL", api_db)
    for value, status in (("", 404), ("exports", 200)):
        monkeypatch.setenv("PARKSITE_PUBLIC_READS", value)
        get_settings.cache_clear()
        try:
            client = TestClient(create_ogc_app())
            assert client.get("/api/v1/exports/csv").status_code == status
            assert client.get("/ogc/collections/parcels/items?limit=1").status_code == 200
        finally:
            get_settings.cache_clear()
