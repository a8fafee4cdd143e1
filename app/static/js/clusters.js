// 组团 boundaries: shown on the map and listed in the 组团 tab; planners draw, edit and delete
// them with Leaflet.draw. The server validates every write: a refusal (422) is shown with its
// reason and nothing is saved; a stale edit (412: someone saved first) keeps the user's outline
// next to the current one and offers to re-apply it or to take the current one. The history
// panel lists a cluster's versions and restores one; planners also see the deleted clusters
// (from the audit log) in a collapsible list and bring one back (undelete). The same dialog
// edits a cluster's names, kind and the industries it admits (表8-1 positive list: 产业大类,
// optionally some 二级产业方向); `admits` is sent only when the planner changed it, so an outline
// edit never touches it.

import { ApiError, get, getWithEtag, request } from "./api.js";
import { hasRole, onUserChange } from "./auth.js";
import { lang, onLangChange, pick, t, tOr } from "./i18n.js";
import { autofocusDialog, esc, fmtTime, num, toast } from "./ui.js";
import { clusterColor, parkName, zone } from "./zone.js";

const KINDS = ["industrial", "public_service", "service", "reserve"];

/** Return the id the API uses for a cluster Feature. */
export function clusterId(f) {
  const p = f.properties || {};
  return f.id ?? p.cluster_id ?? p.id;
}

/** Leaflet.draw's texts in the current language (from the i18n dictionaries). */
function drawLocal() {
  const d = L.drawLocal;
  d.draw.toolbar.buttons.polygon = t("draw.polygon");
  d.draw.toolbar.buttons.rectangle = t("draw.rectangle");
  d.draw.toolbar.actions = { title: t("draw.cancel_title"), text: t("draw.cancel") };
  d.draw.toolbar.finish = { title: t("draw.finish_title"), text: t("draw.finish") };
  d.draw.toolbar.undo = { title: t("draw.undo_title"), text: t("draw.undo") };
  d.draw.handlers.polygon.tooltip = { start: t("draw.poly_start"), cont: t("draw.poly_cont"), end: t("draw.poly_end") };
  d.draw.handlers.rectangle.tooltip = { start: t("draw.rect_start") };
  d.draw.handlers.simpleshape.tooltip = { end: t("draw.rect_end") };
  d.edit.toolbar.actions.save = { title: t("draw.save_title"), text: t("draw.save") };
  d.edit.toolbar.actions.cancel = { title: t("draw.cancel_title"), text: t("draw.cancel") };
  d.edit.toolbar.actions.clearAll = { title: t("draw.clear_all_title"), text: t("draw.clear_all") };
  d.edit.toolbar.buttons = {
    edit: t("draw.edit"), editDisabled: t("draw.edit_none"), remove: t("draw.remove"), removeDisabled: t("draw.remove_none"),
  };
  d.edit.handlers.edit.tooltip = { text: t("draw.edit_text"), subtext: t("draw.edit_subtext") };
  d.edit.handlers.remove.tooltip = { text: t("draw.remove_text") };
}

/** Return whether point [x, y] lies inside a GeoJSON Polygon / MultiPolygon (even-odd rule). */
export function pointInGeometry([x, y], geom) {
  const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
  return polys.some((rings) => rings.reduce((inside, ring) => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
    }
    return c ? !inside : inside;
  }, false));
}

/**
 * Return the reason of a refused outline in the current language: composed from the 422's
 * `problem` (kind overlap | outside_park, the other cluster or park, area in m²), or the
 * server's own (English) message for a kind this page does not know.
 */
export function refusalText(err) {
  const problem = err && err.body && typeof err.body === "object" ? err.body.problem : null;
  const area = problem ? num(problem.area_m2, 1) : "";
  if (problem && problem.kind === "overlap") return t("cluster.problem_overlap", { cluster: problem.cluster, area });
  if (problem && problem.kind === "outside_park") return t("cluster.problem_outside_park", { park: parkName(problem.park), area });
  return err && err.message ? err.message : String(err);
}

/** Return whether the refusal was composed here (then the server's English hint is left out). */
function refusalKnown(err) {
  const problem = err && err.body && typeof err.body === "object" ? err.body.problem : null;
  return Boolean(problem && (problem.kind === "overlap" || problem.kind === "outside_park"));
}

/** Return " · n parcels re-assigned" for an EditResponse (empty when none moved). */
function reassignedText(data) {
  const n = data && Array.isArray(data.reassigned) ? data.reassigned.length : 0;
  return n ? ` · ${t("cluster.reassigned", { n })}` : "";
}

export class ClusterEditor {
  constructor({ map, root, parksLayer, onChanged }) {
    this.map = map;
    this.root = root;
    this.parksLayer = parksLayer;
    this.onChanged = onChanged || (() => {});
    this.group = L.featureGroup();
    this.byId = new Map();
    this.features = [];
    this.drawControl = null;
    this.pending = null; // the drawn, not yet saved layer of the create dialog
    this.conflicts = new Map(); // id → {mine: geometry, layer: L.GeoJSON}
    this.selected = null;
    this.editing = false;
    this.modalEl = document.getElementById("cluster-modal");
    this.modal = window.bootstrap.Modal.getOrCreateInstance(this.modalEl);
    this.editId = null; // the cluster the dialog edits (null: the dialog creates one)
    this.admitsTouched = false;
    this.admitsUnset = false;
    this.deleted = []; // deleted clusters (Features of GET /clusters/deleted), planners only
    this.deletedOpen = false; // the deleted list is expanded
    this.modalEl.querySelector("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (this.editId) this.update(); else this.create();
    });
    // creating: the code first; editing (code fixed): the name
    autofocusDialog(this.modalEl, () => (this.editId ? this.modalEl.querySelector("form").name : this.modalEl.querySelector("form").code));
    this.modalEl.addEventListener("hidden.bs.modal", () => { this.dropPendingIfCancelled(); this.editId = null; });
    this.modalEl.querySelector("#cluster-keep-edit").addEventListener("click", () => {
      // Keep the refused outline as a draft: the user edits it, and saving the edit re-opens this form.
      this.pendingKeep = true;
      this.modal.hide();
      toast(t("cluster.keep_edit_hint"), "info");
    });
    map.on(L.Draw.Event.CREATED, (e) => this.onCreated(e.layer));
    map.on(L.Draw.Event.EDITED, (e) => e.layers.eachLayer((l) => this.onEdited(l)));
    map.on(L.Draw.Event.DELETED, (e) => e.layers.eachLayer((l) => this.onDeleted(l)));
    map.on(L.Draw.Event.EDITSTART, () => { this.editing = true; this.prefetchEtags(); });
    map.on(L.Draw.Event.EDITSTOP, () => { this.editing = false; });
    map.on(L.Draw.Event.DELETESTART, () => { this.editing = true; this.prefetchEtags(); });
    map.on(L.Draw.Event.DELETESTOP, () => { this.editing = false; });
    onUserChange(() => { this.updateDrawControl(); this.loadDeleted(); });
    onLangChange(() => { this.updateDrawControl(true); this.renderList(); this.renderDeleted(); this.restyle(); if (this.selected) this.showHistory(this.selected); });
  }

  // ---------------------------------------------------------------- loading and display

  style(f) {
    return {
      pane: "clusters", color: clusterColor(clusterId(f)), weight: 2.5, dashArray: "8 5",
      fillColor: clusterColor(clusterId(f)), fillOpacity: 0.06,
    };
  }

  restyle() {
    this.byId.forEach((layer) => {
      layer.setStyle(this.style(layer.feature));
      layer.setTooltipContent(pick(layer.feature.properties) || clusterId(layer.feature));
    });
  }

  /** Read every cluster (GET /clusters) and redraw them; merges names into the zone's list. */
  async load() {
    const fc = await get("/clusters");
    this.features = fc.features || [];
    this.group.clearLayers();
    this.byId.clear();
    for (const f of this.features) this.addFeature(f);
    for (const f of this.features) {
      const id = clusterId(f);
      const p = f.properties || {};
      const known = zone.clusters.find((c) => c.id === id);
      const rec = { id, name: p.name, name_en: p.name_en, kind: p.kind, park: p.park ?? p.park_id };
      if (known) Object.assign(known, Object.fromEntries(Object.entries(rec).filter(([, v]) => v != null)));
      else zone.clusters.push(rec);
    }
    this.renderList();
    await this.loadDeleted();
    this.map.fire("clusters:loaded");
  }

  addFeature(f) {
    const id = clusterId(f);
    if (f.geometry && f.geometry.type === "MultiPolygon" && f.geometry.coordinates.length === 1) {
      // One part: edit it as a polygon (Leaflet.draw cannot edit multi-polygons).
      f = { ...f, geometry: { type: "Polygon", coordinates: f.geometry.coordinates[0] } };
    }
    const layer = L.geoJSON(f, { pane: "clusters", style: (ff) => this.style(ff) }).getLayers()[0];
    if (!layer) return null;
    layer.feature = f;
    layer.clusterId = id;
    layer.version = f.properties ? f.properties.version : undefined;
    layer.bindTooltip(pick(f.properties) || id, { sticky: true, className: "cluster-tooltip" });
    layer.on("click", (ev) => {
      if (this.editing) return;
      L.DomEvent.stopPropagation(ev);
      this.select(id);
    });
    this.byId.set(id, layer);
    this.group.addLayer(layer);
    return layer;
  }

  renderList() {
    const list = this.root.querySelector("#cluster-list");
    if (!list) return;
    const rows = this.features.map((f) => {
      const id = clusterId(f);
      const p = f.properties || {};
      return `<li class="list-group-item d-flex align-items-center gap-2 cluster-item ${this.selected === id ? "active" : ""}" data-id="${esc(id)}">
        <span class="lg-box" style="background:${clusterColor(id)}"></span>
        <span class="flex-grow-1">${esc(pick(p) || id)} <span class="small text-muted">${esc(id)}</span></span>
        <span class="small">${esc(num(p.area_mu, 0))} ${esc(t("unit.mu"))}</span>
        <span class="badge text-bg-light" title="${esc(t("cluster.version"))}">v${esc(p.version ?? "?")}</span></li>`;
    });
    list.innerHTML = rows.join("");
    list.querySelectorAll(".cluster-item").forEach((li) => li.addEventListener("click", () => this.select(li.dataset.id, { zoom: true })));
    const hint = this.root.querySelector("#cluster-edit-hint");
    if (hint) hint.textContent = hasRole("planner") ? t("cluster.edit_hint") : t("cluster.need_planner");
  }

  // ---------------------------------------------------------------- deleted clusters

  /** Read the deleted clusters (GET /clusters/deleted) for a planner and list them. */
  async loadDeleted() {
    this.deleted = [];
    if (hasRole("planner")) {
      try {
        const fc = await get("/clusters/deleted");
        this.deleted = fc.features || [];
      } catch (err) {
        this.renderDeleted(err);
        return;
      }
    }
    this.renderDeleted();
  }

  /** Show the collapsible "已删除的组团" list: name, who deleted it and when, a restore button. */
  renderDeleted(err = null) {
    const box = this.root.querySelector("#cluster-deleted");
    if (!box) return;
    if (!hasRole("planner")) { box.innerHTML = ""; return; }
    const rows = this.deleted.map((f) => {
      const id = clusterId(f);
      const p = f.properties || {};
      const by = t("cluster.deleted_by", { who: p.deleted_by || t("cluster.someone"), when: fmtTime(p.deleted_at) });
      return `<li class="list-group-item d-flex align-items-center gap-2 deleted-item" data-id="${esc(id)}">
        <span class="flex-grow-1">${esc(pick(p) || id)} <span class="small text-muted">${esc(id)}</span>
          <div class="small text-muted deleted-by">${esc(by)}</div></span>
        <span class="small text-nowrap">${p.area_mu != null ? `${esc(num(p.area_mu, 0))} ${esc(t("unit.mu"))}` : ""}</span>
        <button type="button" class="btn btn-sm btn-outline-success undelete-btn" data-id="${esc(id)}">${esc(t("cluster.undelete"))}</button></li>`;
    });
    const body = err ? `<div class="alert alert-danger small">${esc(err.message || String(err))}</div>`
      : rows.length ? `<ul class="list-group list-group-flush small" id="cluster-deleted-list">${rows.join("")}</ul>`
        : `<div class="small text-muted">${esc(t("cluster.deleted_none"))}</div>`;
    const open = this.deletedOpen;
    box.innerHTML = `<button type="button" class="btn btn-link btn-sm px-0 ${open ? "" : "collapsed"}" id="cluster-deleted-toggle"
        data-bs-toggle="collapse" data-bs-target="#cluster-deleted-body" aria-expanded="${open}" aria-controls="cluster-deleted-body">
        <i class="fa-solid fa-trash-can-arrow-up"></i> ${esc(t("cluster.deleted_list"))}
        <span class="badge text-bg-secondary" id="cluster-deleted-count">${this.deleted.length}</span></button>
      <div class="collapse ${open ? "show" : ""}" id="cluster-deleted-body">${body}</div>`;
    const collapse = box.querySelector("#cluster-deleted-body");
    collapse.addEventListener("shown.bs.collapse", () => { this.deletedOpen = true; });
    collapse.addEventListener("hidden.bs.collapse", () => { this.deletedOpen = false; });
    box.querySelectorAll(".undelete-btn").forEach((b) => b.addEventListener("click", () => this.undelete(b.dataset.id)));
  }

  /**
   * Bring deleted cluster `id` back (POST /clusters/{id}/undelete): on success it is on the map
   * and in the list again; a refusal (e.g. it now overlaps a cluster drawn since) is shown with
   * its reason like any refused write, the overlapping part drawn in red.
   */
  async undelete(id) {
    const f = this.deleted.find((d) => clusterId(d) === id);
    const name = (f && pick(f.properties)) || id;
    if (!window.confirm(t("cluster.undelete_confirm", { name }))) return;
    try {
      const res = await request("POST", `/clusters/${encodeURIComponent(id)}/undelete`);
      const version = res.data && res.data.properties ? res.data.properties.version : "?";
      toast(t("cluster.undeleted", { name, version }) + reassignedText(res.data), "ok");
      this.clearAlert();
      this.clearProblem();
      await this.afterWrite();
      if (this.byId.has(id)) this.select(id, { zoom: true });
    } catch (err) {
      this.showError(id, err);
      // show where it was (and the refused part, drawn by showError)
      if (f && f.geometry) this.map.fitBounds(L.geoJSON(f.geometry).getBounds(), { padding: [30, 30], maxZoom: 17 });
    }
  }

  updateDrawControl(force = false) {
    const allowed = hasRole("planner");
    if (this.drawControl && (force || !allowed)) {
      this.map.removeControl(this.drawControl);
      this.drawControl = null;
    }
    if (allowed && !this.drawControl) {
      drawLocal();
      this.drawControl = new L.Control.Draw({
        position: "topleft",
        draw: {
          polygon: { allowIntersection: false, showArea: false, shapeOptions: { color: "#e040fb", weight: 3 } },
          rectangle: { showArea: false, shapeOptions: { color: "#e040fb", weight: 3 } },
          polyline: false, circle: false, marker: false, circlemarker: false,
        },
        edit: { featureGroup: this.group, remove: true, poly: { allowIntersection: false } },
      });
      this.map.addControl(this.drawControl);
    }
    this.renderList();
  }

  // ---------------------------------------------------------------- selection and history

  select(id, { zoom = false } = {}) {
    this.selected = id;
    this.renderList();
    const layer = this.byId.get(id);
    if (layer && zoom) this.map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 17 });
    this.map.fire("cluster:selected", { id });
    this.showHistory(id);
  }

  async showHistory(id) {
    const box = this.root.querySelector("#cluster-history");
    box.innerHTML = `<div class="text-muted small">${esc(t("panel.loading"))}</div>`;
    let versions;
    let currentVersion = null;
    try {
      const h = await get(`/clusters/${encodeURIComponent(id)}/history`);
      versions = Array.isArray(h) ? h : h.versions || [];
      currentVersion = Array.isArray(h) ? null : h.current_version;
    } catch (err) {
      box.innerHTML = `<div class="alert alert-danger small">${esc(err.message)}</div>`;
      return;
    }
    const layer = this.byId.get(id);
    if (currentVersion === null || currentVersion === undefined) currentVersion = layer ? layer.version : null;
    const canRestore = hasRole("planner");
    const rows = [...versions].sort((a, b) => b.version - a.version).map((v) => {
      const isCurrent = v.version === currentVersion;
      const when = v.at || v.timestamp || v.updated_at || v.created_at || "";
      const attrs = v.attrs || v.properties || {};
      const note = (lang() === "zh" ? v.note_zh : v.note_en) || v.note || "";
      return `<tr data-version="${v.version}" class="${isCurrent ? "table-primary" : ""}">
        <td class="text-nowrap">v${esc(v.version)}</td>
        <td class="text-nowrap">${esc(tOr(`action.${v.action}`, v.action || ""))}</td>
        <td class="small">${esc(v.user || "—")}<div class="text-muted">${esc(fmtTime(when))}</div></td>
        <td class="small">${attrs.area_mu != null ? `${esc(num(attrs.area_mu, 0))} ${esc(t("unit.mu"))}` : ""}${note ? `<div class="text-muted">${esc(note)}</div>` : ""}</td>
        <td class="text-end">${isCurrent ? `<span class="badge text-bg-primary">${esc(t("cluster.current"))}</span>`
          : canRestore && v.geometry && v.action !== "delete" && currentVersion !== null
            ? `<button class="btn btn-sm btn-outline-secondary restore-btn" data-version="${v.version}">${esc(t("cluster.restore"))}</button>` : ""}</td></tr>`;
    });
    const p = layer ? layer.feature.properties : {};
    const editBtn = canRestore && layer ? `<button class="btn btn-sm btn-outline-primary mb-2" id="cluster-edit-btn">
      <i class="fa-solid fa-pen-to-square"></i> ${esc(t("cluster.edit_attrs"))}</button>` : "";
    box.innerHTML = `${editBtn}<h6 class="panel-h">${esc(t("cluster.history_of", { name: pick(p) || id }))}</h6>
      <table class="table table-sm history-table"><thead><tr><th>${esc(t("cluster.version"))}</th><th>${esc(t("cluster.action"))}</th>
      <th>${esc(t("cluster.user"))} · ${esc(t("cluster.when"))}</th><th>${esc(t("cluster.area_note"))}</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
    box.querySelectorAll(".restore-btn").forEach((b) => b.addEventListener("click", () => this.restore(id, Number(b.dataset.version))));
    box.querySelector("#cluster-edit-btn")?.addEventListener("click", () => this.openEdit(id));
  }

  async restore(id, version) {
    if (!window.confirm(t("cluster.restore_confirm", { version }))) return;
    try {
      const etag = await this.etagFor(id);
      const res = await request("POST", `/clusters/${encodeURIComponent(id)}/restore/${version}`, { headers: etag ? { "If-Match": etag } : {} });
      toast(t("cluster.restored", { version }) + reassignedText(res.data), "ok");
      await this.afterWrite(id);
    } catch (err) {
      this.showError(id, err);
    }
  }

  // ---------------------------------------------------------------- writing

  /** Read the ETags of the shown clusters (when editing starts), for the versions on the map. */
  async prefetchEtags() {
    await Promise.all([...this.byId.keys()].map((id) => this.etagFor(id).catch(() => null)));
  }

  /**
   * Return the ETag of cluster `id` at the version shown on the map. When the server has moved
   * on since the page read it, the edit is stale: raise the 412 the server would answer.
   */
  async etagFor(id) {
    const layer = this.byId.get(id);
    if (layer && layer.etag && layer.etagVersion === layer.version) return layer.etag;
    const { data, etag } = await getWithEtag(`/clusters/${encodeURIComponent(id)}`);
    const serverVersion = data.properties ? data.properties.version : undefined;
    if (layer && layer.version !== undefined && serverVersion !== undefined && serverVersion !== layer.version) {
      throw new ApiError(412, {
        error: "VersionConflictError", message: t("cluster.stale_message"), current_version: serverVersion, feature: data,
      }, "Precondition Failed");
    }
    if (layer) { layer.etag = etag; layer.etagVersion = serverVersion; }
    return etag;
  }

  async afterWrite(selectId = null) {
    await this.load();
    await this.onChanged();
    if (selectId && this.byId.has(selectId)) this.select(selectId);
  }

  showAlert(html, kind = "danger") {
    const box = this.root.querySelector("#cluster-alert");
    box.innerHTML = `<div class="alert alert-${kind} small" role="alert">${html}</div>`;
    document.querySelector('[data-bs-target="#tab-clusters"]')?.click();
  }

  clearAlert() {
    this.root.querySelector("#cluster-alert").innerHTML = "";
  }

  /** Draw the part of an outline the server refused (outside the park, or the overlap), if given. */
  showProblem(err) {
    this.clearProblem();
    const problem = err && err.body && typeof err.body === "object" ? err.body.problem : null;
    if (!problem || !problem.geometry) return;
    this.problemLayer = L.geoJSON({ type: "Feature", geometry: problem.geometry, properties: {} }, {
      pane: "recommend", interactive: false,
      style: { color: "#d50000", weight: 2, fillColor: "#d50000", fillOpacity: 0.45, className: "cluster-problem" },
    }).addTo(this.map);
  }

  clearProblem() {
    if (this.problemLayer) {
      this.map.removeLayer(this.problemLayer);
      this.problemLayer = null;
    }
  }

  /** Show a refused write: the reason (and hint); 412 goes to the conflict view. */
  showError(id, err) {
    if (err.status === 412) return this.showConflict(id, err);
    this.showProblem(err);
    const known = refusalKnown(err);
    const text = refusalText(err);
    const hint = err.hint && !known ? `<div>${esc(err.hint)}</div>` : "";
    const where = err.where && !known ? `<div class="text-muted">${esc(err.where)}</div>` : "";
    this.showAlert(`<b>${esc(t("cluster.refused"))}</b> <span id="cluster-error-message">${esc(text)}</span>${hint}${where}`);
    toast(`${t("cluster.refused")} ${text}`, "error", { hint: known ? null : err.hint });
    return null;
  }

  onCreated(layer) {
    if (!hasRole("planner")) return;
    layer.draft = true;
    layer.setStyle({ color: "#e040fb", dashArray: "4 4", fillOpacity: 0.15 });
    this.group.addLayer(layer);
    this.openCreate(layer);
  }

  openCreate(layer) {
    this.pending = layer;
    this.pendingSaved = false;
    this.editId = null;
    const form = this.modalEl.querySelector("form");
    if (this.lastModeEdit) ["code", "name", "name_en"].forEach((k) => { form[k].value = ""; });
    this.lastModeEdit = false;
    this.setModalMode(form, false);
    // a draft kept after a refusal re-opens with the planner's choice of industries
    if (!this.admitsDraft) this.renderAdmits(null, { set: false });
    const c = layer.getBounds().getCenter();
    const parkSel = form.park;
    parkSel.innerHTML = zone.parks.map((p) => `<option value="${esc(p.id)}">${esc(pick(p))}</option>`).join("");
    let inPark = null;
    if (this.parksLayer) {
      this.parksLayer.eachLayer((pl) => {
        if (pl.feature && pointInGeometry([c.lng, c.lat], pl.feature.geometry)) {
          inPark = pl.feature.properties.park_id ?? pl.feature.properties.id ?? pl.feature.id;
        }
      });
    }
    if (inPark) parkSel.value = inPark;
    form.kind.innerHTML = KINDS.map((k) => `<option value="${k}">${esc(t(`kind.${k}`))}</option>`).join("");
    form.querySelector("#cluster-modal-error").innerHTML = "";
    form.querySelector("#cluster-keep-edit").classList.add("d-none");
    const latlngs = layer.getLatLngs()[0] || [];
    const m2 = L.GeometryUtil && latlngs.length > 2 ? L.GeometryUtil.geodesicArea(latlngs) : null;
    form.querySelector("#cluster-modal-area").textContent = m2 ? t("cluster.drawn_area", { mu: num(m2 / (10000 / 15), 1) }) : "";
    this.modal.show();
  }

  dropPendingIfCancelled() {
    if (this.pending && !this.pendingSaved && !this.pendingKeep) {
      this.group.removeLayer(this.pending);
      this.clearProblem();
    }
    this.admitsDraft = Boolean(this.pending && this.pendingKeep);
    this.pending = null;
    this.pendingKeep = false;
  }

  async create() {
    const form = this.modalEl.querySelector("form");
    const layer = this.pending;
    if (!layer) return;
    const errBox = form.querySelector("#cluster-modal-error");
    errBox.innerHTML = "";
    const props = {
      cluster_id: form.code.value.trim(), park: form.park.value, name: form.name.value.trim(),
      name_en: form.name_en.value.trim() || null, kind: form.kind.value,
    };
    const body = { ...props, geometry: layer.toGeoJSON(false).geometry };
    if (this.admitsTouched) body.admits = this.readAdmits();
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    this.clearProblem();
    try {
      const { data } = await request("POST", "/clusters", { json: body });
      this.pendingSaved = true;
      this.admitsDraft = false;
      this.group.removeLayer(layer);
      this.modal.hide();
      const id = (data && data.type === "Feature" && clusterId(data)) || props.cluster_id;
      toast(t("cluster.created", { name: props.name || id }) + reassignedText(data), "ok");
      this.clearAlert();
      await this.afterWrite(id);
    } catch (err) {
      const hint = err.hint && !refusalKnown(err) ? `<div>${esc(err.hint)}</div>` : "";
      errBox.innerHTML = `<div class="alert alert-danger small mb-0" role="alert"><b>${esc(t("cluster.refused"))}</b>
        <span id="cluster-create-error">${esc(refusalText(err))}</span>${hint}</div>`;
      form.querySelector("#cluster-keep-edit").classList.remove("d-none");
      this.showProblem(err);
    } finally {
      btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- the dialog: edit mode, admits

  /** Switch the dialog between creating (code and park editable) and editing cluster attributes. */
  setModalMode(form, editing) {
    const title = this.modalEl.querySelector("#cluster-modal-title");
    title.dataset.i18n = editing ? "cluster.edit_title" : "cluster.new_title";
    title.textContent = editing ? t("cluster.edit_title") : t("cluster.new_title");
    form.code.disabled = editing;
    form.park.disabled = editing;
  }

  /** Open the dialog on cluster `id`: its names, kind and admitted industries. */
  openEdit(id) {
    const layer = this.byId.get(id);
    if (!layer || !hasRole("planner")) return;
    if (this.pending) { this.group.removeLayer(this.pending); this.pending = null; }
    const p = layer.feature.properties || {};
    const form = this.modalEl.querySelector("form");
    this.editId = id;
    this.lastModeEdit = true;
    this.admitsDraft = false;
    this.setModalMode(form, true);
    form.park.innerHTML = zone.parks.map((pk) => `<option value="${esc(pk.id)}">${esc(pick(pk))}</option>`).join("");
    form.park.value = p.park ?? p.park_id ?? "";
    form.kind.innerHTML = KINDS.map((k) => `<option value="${k}">${esc(t(`kind.${k}`))}</option>`).join("");
    form.kind.value = p.kind || "industrial";
    form.code.value = id;
    form.name.value = p.name || "";
    form.name_en.value = p.name_en || "";
    form.querySelector("#cluster-modal-error").innerHTML = "";
    form.querySelector("#cluster-keep-edit").classList.add("d-none");
    form.querySelector("#cluster-modal-area").textContent = p.area_mu != null ? t("cluster.area_is", { mu: num(p.area_mu, 1) }) : "";
    this.renderAdmits(p.admits ?? null, { set: p.admits != null });
    this.modal.show();
  }

  /** Return the admits section of the dialog (made on first use, before the error box). */
  admitsBox() {
    const form = this.modalEl.querySelector("form");
    let box = form.querySelector("#cluster-admits");
    if (!box) {
      box = document.createElement("div");
      box.id = "cluster-admits";
      box.className = "mt-2";
      form.querySelector("#cluster-modal-error").before(box);
      box.addEventListener("change", (ev) => this.onAdmitsChange(ev));
      box.addEventListener("click", (ev) => {
        if (ev.target.closest("#admits-unset")) { ev.preventDefault(); this.renderAdmits(null, { set: false }); this.admitsTouched = true; this.admitsUnset = true; this.showAdmitsState(); }
      });
    }
    return box;
  }

  /** Fill the admits checklist from the positive list, ticking `admits` ([{industry, branches}]). */
  renderAdmits(admits, { set }) {
    const box = this.admitsBox();
    this.admitsTouched = false;
    this.admitsUnset = !set;
    const byName = new Map((admits || []).map((a) => [a.industry, a]));
    const rows = zone.industries.map((ind, i) => {
      const a = byName.get(ind.name);
      const chosen = new Set(a && a.branches ? a.branches : []);
      const branches = (ind.branches || []).map((b, j) => `<div class="form-check">
          <input class="form-check-input admit-branch" type="checkbox" id="adm-${i}-${j}" data-industry="${esc(ind.name)}" data-branch="${esc(b.name)}" ${chosen.has(b.name) ? "checked" : ""}>
          <label class="form-check-label" for="adm-${i}-${j}">${esc(pick(b))}</label></div>`).join("");
      return `<div class="admit-row" data-industry="${esc(ind.name)}">
        <div class="d-flex align-items-center gap-1">
          <div class="form-check mb-0 flex-grow-1">
            <input class="form-check-input admit-industry" type="checkbox" id="adm-${i}" data-industry="${esc(ind.name)}" ${a ? "checked" : ""}>
            <label class="form-check-label" for="adm-${i}">${esc(pick(ind))}</label>
            <span class="text-muted admit-scope" data-industry="${esc(ind.name)}"></span></div>
          <button type="button" class="btn btn-link btn-sm py-0 admit-expand" data-bs-toggle="collapse" data-bs-target="#adm-br-${i}"
            aria-expanded="false" title="${esc(t("cluster.admits_branches"))}"><i class="fa-solid fa-chevron-down"></i></button>
        </div>
        <div class="collapse ms-4" id="adm-br-${i}">${branches}</div></div>`;
    });
    box.innerHTML = `<div class="d-flex align-items-baseline gap-2">
        <label class="form-label mb-0 fw-semibold">${esc(t("cluster.admits"))}</label>
        <span class="badge" id="admits-state"></span>
        <a href="#" class="ms-auto small" id="admits-unset">${esc(t("cluster.admits_unset_action"))}</a></div>
      <div class="form-text mt-0 mb-1">${esc(t("cluster.admits_help"))}</div>
      <div class="border rounded px-2 py-1" style="max-height: 14rem; overflow-y: auto">${rows.join("")}</div>`;
    this.showAdmitsState();
  }

  /** Keep industry and branch ticks consistent, and remember that the planner chose. */
  onAdmitsChange(ev) {
    const box = this.admitsBox();
    const el = ev.target;
    const ind = el.dataset.industry;
    const sel = (cls) => [...box.querySelectorAll(`input.${cls}`)].filter((x) => x.dataset.industry === ind);
    if (el.classList.contains("admit-branch") && el.checked) sel("admit-industry").forEach((x) => { x.checked = true; });
    if (el.classList.contains("admit-industry") && !el.checked) sel("admit-branch").forEach((x) => { x.checked = false; });
    this.admitsTouched = true;
    this.admitsUnset = false;
    this.showAdmitsState();
  }

  /** Show "not set yet" / "admits nothing" / the number chosen, and each industry's scope. */
  showAdmitsState() {
    const box = this.admitsBox();
    const state = box.querySelector("#admits-state");
    const admits = this.readAdmits();
    if (admits === null) { state.className = "badge text-bg-warning"; state.textContent = t("cluster.admits_not_set"); }
    else if (!admits.length) { state.className = "badge text-bg-secondary"; state.textContent = t("cluster.admits_none"); }
    else { state.className = "badge text-bg-success"; state.textContent = t("cluster.admits_count", { n: admits.length }); }
    box.querySelectorAll(".admit-scope").forEach((s) => {
      const a = (admits || []).find((x) => x.industry === s.dataset.industry);
      s.textContent = !a ? "" : a.branches === null ? `· ${t("cluster.admits_all")}` : `· ${t("cluster.admits_some", { n: a.branches.length })}`;
    });
  }

  /** Return the dialog's admits: [{industry, branches (null: all)}], or null for "not set yet". */
  readAdmits() {
    const box = this.admitsBox();
    if (this.admitsUnset) return null;
    return [...box.querySelectorAll("input.admit-industry:checked")].map((x) => {
      const branches = [...box.querySelectorAll("input.admit-branch:checked")]
        .filter((b) => b.dataset.industry === x.dataset.industry).map((b) => b.dataset.branch);
      return { industry: x.dataset.industry, branches: branches.length ? branches : null };
    });
  }

  /** PUT the dialog's changed attributes (and admits when touched) of the cluster being edited. */
  async update() {
    const id = this.editId;
    const layer = this.byId.get(id);
    if (!id || !layer) return;
    const form = this.modalEl.querySelector("form");
    const errBox = form.querySelector("#cluster-modal-error");
    errBox.innerHTML = "";
    const p = layer.feature.properties || {};
    const body = {};
    const name = form.name.value.trim();
    const nameEn = form.name_en.value.trim() || null;
    if (name && name !== p.name) body.name = name;
    if (nameEn !== (p.name_en || null)) body.name_en = nameEn;
    if (form.kind.value !== p.kind) body.kind = form.kind.value;
    if (this.admitsTouched) body.admits = this.readAdmits();
    if (!Object.keys(body).length) { this.modal.hide(); return; }
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      const etag = await this.etagFor(id);
      const res = await request("PUT", `/clusters/${encodeURIComponent(id)}`, { json: body, headers: etag ? { "If-Match": etag } : {} });
      this.modal.hide();
      toast(t("cluster.updated", { name: name || pick(p) || id }) + reassignedText(res.data), "ok");
      this.clearAlert();
      await this.afterWrite(id);
    } catch (err) {
      if (err.status === 412) { this.modal.hide(); this.showError(id, err); return; }
      errBox.innerHTML = `<div class="alert alert-danger small mb-0" role="alert"><b>${esc(t("cluster.refused"))}</b>
        <span id="cluster-create-error">${esc(refusalText(err))}</span>${err.hint && !refusalKnown(err) ? `<div>${esc(err.hint)}</div>` : ""}</div>`;
    } finally {
      btn.disabled = false;
    }
  }

  async onEdited(layer) {
    if (layer.draft) {
      this.openCreate(layer);
      return;
    }
    await this.save(layer.clusterId, layer.toGeoJSON(false).geometry);
  }

  /** PUT a new outline for cluster `id`, conditional on the version the page showed. */
  async save(id, geometry, { etag = null } = {}) {
    const layer = this.byId.get(id);
    try {
      const tag = etag || await this.etagFor(id);
      const props = layer ? layer.feature.properties : {};
      const res = await request("PUT", `/clusters/${encodeURIComponent(id)}`, {
        json: { geometry }, headers: tag ? { "If-Match": tag } : {},
      });
      toast(t("cluster.saved", { name: pick(props) || id }) + reassignedText(res.data), "ok");
      this.dropConflict(id);
      this.clearAlert();
      this.clearProblem();
      await this.afterWrite(id);
      return res;
    } catch (err) {
      // Keep the user's outline on the map (unsaved, marked) so nothing is lost.
      if (layer && err.status !== 412) {
        layer.setStyle({ color: "#d50000", dashArray: "3 3", weight: 3 });
        layer.unsaved = geometry;
      }
      if (err.status === 412) {
        err.mine = geometry;
      }
      this.showError(id, err);
      return null;
    }
  }

  async onDeleted(layer) {
    if (layer.draft) return;
    const id = layer.clusterId;
    try {
      const etag = await this.etagFor(id);
      const res = await request("DELETE", `/clusters/${encodeURIComponent(id)}`, { headers: etag ? { "If-Match": etag } : {} });
      toast(t("cluster.deleted", { name: pick(layer.feature.properties) || id }) + reassignedText(res.data), "ok");
      if (this.selected === id) {
        this.selected = null;
        this.root.querySelector("#cluster-history").innerHTML = "";
      }
      await this.afterWrite();
    } catch (err) {
      this.group.addLayer(layer); // not deleted: show it again
      this.showError(id, err);
    }
  }

  // ---------------------------------------------------------------- stale edits (412)

  /** Show a 412: the current outline from the server, the user's own kept beside it. */
  async showConflict(id, err) {
    let current = err.body && (err.body.feature || null);
    let etag = null;
    try {
      const r = await getWithEtag(`/clusters/${encodeURIComponent(id)}`);
      current = r.data;
      etag = r.etag;
    } catch { /* deleted meanwhile: keep what the 412 said */ }
    const mine = err.mine || (this.byId.get(id) && this.byId.get(id).unsaved) || null;
    // Show the current version as the cluster, and the user's outline as a draft beside it.
    await this.load();
    this.dropConflict(id);
    if (mine) {
      const draft = L.geoJSON({ type: "Feature", geometry: mine, properties: {} }, {
        pane: "clusters", interactive: false,
        style: { color: "#ff6d00", weight: 3, dashArray: "6 6", fillOpacity: 0.1, className: "conflict-mine" },
      }).addTo(this.map);
      this.conflicts.set(id, { mine, layer: draft, etag });
    }
    const who = current && current.properties ? current.properties.updated_by : null;
    const version = current && current.properties ? current.properties.version : "?";
    this.showAlert(`<div id="cluster-conflict"><b>${esc(t("cluster.stale_title"))}</b>
      <div>${esc(t("cluster.stale_text", { id, version, who: who || t("cluster.someone") }))}</div>
      ${mine ? `<div class="mt-2 d-flex gap-2 flex-wrap">
        <button class="btn btn-sm btn-warning" id="conflict-reapply">${esc(t("cluster.reapply"))}</button>
        <button class="btn btn-sm btn-outline-secondary" id="conflict-discard">${esc(t("cluster.take_theirs"))}</button></div>` : ""}</div>`, "warning");
    const box = this.root.querySelector("#cluster-alert");
    box.querySelector("#conflict-reapply")?.addEventListener("click", async () => {
      const c = this.conflicts.get(id);
      if (!c) return;
      await this.save(id, c.mine, { etag: c.etag });
    });
    box.querySelector("#conflict-discard")?.addEventListener("click", () => {
      this.dropConflict(id);
      this.clearAlert();
      toast(t("cluster.took_theirs"), "info");
    });
    this.select(id);
    return null;
  }

  dropConflict(id) {
    const c = this.conflicts.get(id);
    if (c) {
      this.map.removeLayer(c.layer);
      this.conflicts.delete(id);
    }
  }
}

