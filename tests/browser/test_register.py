"""The project register (项目库) in the browser: a manager fills the form, checks, saves the project,
admits it after a confirmation that names the parcels and the capacity it takes, finds it in the
register as 已准入 with its parcel marked on the map, and revokes it (已撤销). In Chinese and English."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli

from .helpers import Watch, almg_project_on_best_parcel, check_project_on, login

pytestmark = pytest.mark.browser

MANAGER = ("wang-manager", "manager-pw-1")
REASON = "污水处理厂扩建后复核"


@pytest.fixture(scope="module")
def manager(server: Any) -> tuple[str, str]:
    """A manager account on the module's server (added with ``parksite user add``)."""
    url = f"sqlite:///{(server.state / 'parksite.sqlite').resolve()}"
    r = CliRunner().invoke(
        cli, ["user", "add", MANAGER[0], "--role", "manager", "--password", MANAGER[1], "--database-url", url]
    )
    assert r.exit_code == 0, (r.output, r.exception)
    return MANAGER


def _admitted_outline(w: Watch, pid: str) -> dict:
    """Return the style of parcel ``pid`` on the map (color, weight, dash)."""
    return w.page.evaluate(
        "(id) => { const l = window.parksite.parcels.byId.get(id); const o = l.options;"
        " return {color: o.color, weight: o.weight, dash: o.dashArray}; }",
        pid,
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_save_admit_find_and_revoke_a_project(w: Watch, api: httpx.Client, manager, lang: str) -> None:
    pid, base = almg_project_on_best_parcel(api, f"铝基新材料项目-{lang}")
    project = {**base, "power_kw": 4500, "water_m3_per_day": 120}
    zh = lang == "zh"
    f = w.page
    w.goto("/")
    if not zh:
        f.click("#lang-btn")
        f.wait_for_function("() => document.documentElement.lang.startsWith('en')", timeout=60_000)
    login(w, *manager)

    # choosing the industry pre-selects no branch; the form has the 表9-6 per-output fields
    f.click("#tab-check-btn")
    f.select_option("#f-industry", "铝镁新材料")
    assert f.locator("#f-branch").input_value() == ""
    assert f.locator("#f-water-per-wan").count() == 1 and f.locator("#f-energy-per-wan").count() == 1

    check_project_on(w, pid, project)
    f.fill("#f-power", str(project["power_kw"]))
    f.fill("#f-water", str(project["water_m3_per_day"]))
    f.fill("#f-water-per-wan", "0.5")
    f.fill("#f-energy-per-wan", "0.2")
    before = api.get("/projects").json()["numberMatched"]
    f.click("#check-btn")
    f.wait_for_selector("#check-result #save-btn")
    assert api.get("/projects").json()["numberMatched"] == before  # checking stores nothing
    rules = [r.get_attribute("data-rule") for r in f.locator(".rules-table tr[data-rule]").all()]
    assert "water_energy" in rules, rules  # the 表9-6 water/energy rule reads the new fields
    f.click("#save-btn")
    f.wait_for_selector("#check-result #admit-btn")
    (saved,) = api.get("/projects", params={"status": "reviewed"}).json()["projects"]
    assert saved["name"] == project["name"]

    # admitting asks first: the dialog names the parcel and the capacity (MVA, m³/d)
    f.fill("#admit-reason", REASON)
    f.click("#admit-btn")
    f.wait_for_selector("#admit-modal.show")
    body = f.locator("#admit-modal-body").inner_text()
    assert pid in body and "5 MVA" in body and "120 m³/d" in body, body  # 4500 kW / 1000 / 0.9
    w.shot(f"{lang}_20_admit_confirm")
    f.click("#admit-modal [data-bs-dismiss='modal'].btn")  # cancel: nothing admitted
    f.wait_for_selector("#admit-modal", state="hidden")
    assert api.get(f"/projects/{saved['id']}").json()["status"] == "reviewed"
    f.click("#admit-btn")
    f.wait_for_selector("#admit-modal.show")
    f.click("#admit-confirm")
    f.wait_for_selector("#admit-state")
    assert api.get(f"/projects/{saved['id']}").json()["status"] == "admitted"

    # the register lists it as 已准入 with its parcel; the map marks the parcel
    f.click("#tab-register-btn")
    f.select_option("#register-status", "admitted")
    row = f.locator(f".register-row[data-id='{saved['id']}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "admitted"
    assert row.locator(".project-status").inner_text() == ("已准入" if zh else "admitted")
    assert pid in row.locator(".register-parcels").inner_text()
    w.shot(f"{lang}_21_register_admitted")
    assert _admitted_outline(w, pid)["color"] == "#6a1b9a"  # ADMITTED_COLOR, also when selected
    assert f.locator("#legend-admitted").count() == 1
    f.fill("#search-input", pid)
    f.press("#search-input", "Enter")
    f.wait_for_selector("#parcel-admitted")
    assert project["name"] in f.locator("#parcel-admitted").inner_text()
    assert ("已准入" if zh else "admitted") in f.locator("#parcel-admitted").inner_text()
    w.shot(f"{lang}_22_parcel_admitted_on_map")

    # revoke (confirmed): 已撤销, the parcel is free again
    f.click("#tab-register-btn")
    f.click(f".register-row[data-id='{saved['id']}'] .revoke-btn")
    f.wait_for_selector("#admit-modal.show")
    assert pid in f.locator("#admit-modal-body").inner_text()
    f.click("#admit-confirm")
    f.wait_for_function("() => !document.querySelector('#parcel-admitted')", timeout=60_000)
    assert api.get(f"/projects/{saved['id']}").json()["status"] == "revoked"
    f.select_option("#register-status", "revoked")
    f.wait_for_selector(f".register-row[data-id='{saved['id']}'][data-status='revoked']")
    revoked = f.locator(f".register-row[data-id='{saved['id']}']")
    assert revoked.locator(".project-status").inner_text() == ("已撤销" if zh else "revoked")
    assert revoked.locator(".register-parcels s").inner_text() == pid  # its former site, struck through
    w.shot(f"{lang}_23_register_revoked")
    assert _admitted_outline(w, pid)["color"] != "#6a1b9a"


def test_a_confirmation_clicked_while_the_dialog_fades_in_is_kept(w: Watch) -> None:
    # Bootstrap ignores hide() during the fade-in; a confirm click that early (a quick user, a
    # loaded machine) once left the dialog open and the admission unsent
    w.goto("/")
    answer = w.page.evaluate(
        """async () => {
            const { confirmDialog } = await import('/static/js/confirm.js');
            const asked = confirmDialog({ title: 'T', html: '<p>B</p>', ok: 'OK' });
            document.querySelector('#admit-confirm').click();
            const late = new Promise((r) => setTimeout(() => r('still open after 10 s'), 10000));
            return await Promise.race([asked, late]);
        }"""
    )
    assert answer is True
    w.page.wait_for_selector("#admit-modal", state="hidden")
