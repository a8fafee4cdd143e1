// Editing one cluster's outline (planners): only the selected cluster shows vertex handles, its
// outline simplified within a tolerance (metres, zone CRS) shown and set in the edit bar — along
// the park boundary within 5 cm, so the outline keeps to it; what is shown is what is saved. Saving with "neighbours follow" (`?neighbours=yield`) moves a shared
// edge for both clusters: land the new outline covers is taken from the neighbours, land it gives
// up goes to the neighbour across the moved edge (or stays unassigned in the park).

import { request } from "../api.js";
import { hasRole } from "../auth.js";
import { pick, t } from "../i18n.js";
import { esc, toast } from "../ui.js";
import { reassignedText } from "./feedback.js";
import { DEFAULT_TOLERANCE_M, copyLatLngs, projectedRings, simplifyLatLngs, vertexCount } from "./outline.js";

/** Return the ids of the clusters a write changed (besides `id`), from its answer: `changed`
 * ([{id | cluster_id}] or {id: etag}) or `clusters` (Features). */
export function changedIds(data, id) {
  if (!data || typeof data !== "object") return [];
  const list = data.changed ?? data.clusters ?? [];
  const ids = Array.isArray(list)
    ? list.map((c) => (typeof c === "string" ? c : c.id ?? c.cluster_id ?? (c.properties && c.properties.cluster_id)))
    : Object.keys(list);
  return ids.filter((x) => x && x !== id);
}

/** ClusterEditor's methods for editing one outline (mixed into its prototype). */
export const editMethods = {
  /** Start editing cluster `id`: simplify its outline, show its handles (only its), the edit bar. */
  async startEdit(id) {
    const layer = this.byId.get(id);
    if (!layer || !hasRole("planner")) return;
    if (this.edit) this.cancelEdit();
    this.select(id);
    const park = (await this.parkFeatures()).find((f) => (f.id ?? f.properties.park_id) === this.parkOfCluster(id));
    if (this.edit) this.cancelEdit();
    this.edit = {
      id, layer, original: copyLatLngs(layer.getLatLngs()), tol: this.tolerance ?? DEFAULT_TOLERANCE_M, dirty: false,
      edges: park && park.geometry ? projectedRings(park.geometry) : [], // the park boundary, kept to
    };
    this.editing = true;
    this.setPane(layer, "recommend"); // above the parcels while edited
    // the drawing colour, whatever the cluster's: it stands out over parcels coloured by score
    layer.setStyle({ color: "#e040fb", fillColor: "#e040fb", dashArray: null, weight: 3, fillOpacity: 0.12 });
    this.showEditBar();
    this.applyTolerance(this.edit.tol);
    layer.on("pm:edit", this.onOutlineEdited, this);
    await this.prefetchEtags();
  },

  /** Move `layer` to map pane `pane` (drawn again there, if on the map). */
  setPane(layer, pane) {
    if (layer.options.pane === pane) return;
    const shown = this.group.hasLayer(layer);
    if (shown) this.group.removeLayer(layer);
    layer.options.pane = pane;
    if (shown) this.group.addLayer(layer);
  },

  /** Show cluster being edited simplified within `tol` metres (from its outline as read). */
  applyTolerance(tol) {
    const e = this.edit;
    if (!e) return;
    e.tol = tol;
    this.tolerance = tol;
    e.layer.pm.disable();
    e.layer.setLatLngs(simplifyLatLngs(copyLatLngs(e.original), tol, e.edges));
    e.dirty = false;
    e.layer.pm.enable({ snappable: true, allowSelfIntersection: false, draggable: false, removeVertexOn: "contextmenu" });
    this.showEditCounts();
  },

  /** A vertex was moved, added or removed: the outline differs from the one read. */
  onOutlineEdited() {
    if (!this.edit) return;
    this.edit.dirty = true;
    this.showEditCounts();
  },

  /** Show the edit bar: whose outline, the tolerance, the vertex counts, neighbours, save, cancel. */
  showEditBar() {
    this.hideEditBar();
    const e = this.edit;
    const bar = L.DomUtil.create("div", "edit-bar leaflet-bar", this.map.getContainer());
    bar.id = "edit-bar";
    const name = pick(e.layer.feature.properties) || e.id;
    bar.innerHTML = `<span class="fw-semibold">${esc(t("edit.title", { name }))}</span>
      <label class="d-flex align-items-center gap-1" title="${esc(t("edit.tolerance_help"))}">${esc(t("edit.tolerance"))}
        <input type="number" class="form-control form-control-sm" id="edit-tol" min="0" max="20" step="0.1" value="${e.tol}"> m</label>
      <span class="text-muted" id="edit-vertices"></span>
      <label class="form-check mb-0" title="${esc(t("edit.yield_help"))}"><input class="form-check-input" type="checkbox" id="edit-yield" checked>
        <span class="form-check-label">${esc(t("edit.yield"))}</span></label>
      <button type="button" class="btn btn-sm btn-primary" id="edit-save">${esc(t("draw.save"))}</button>
      <button type="button" class="btn btn-sm btn-outline-secondary" id="edit-cancel">${esc(t("draw.cancel"))}</button>`;
    L.DomEvent.disableClickPropagation(bar);
    L.DomEvent.disableScrollPropagation(bar);
    bar.querySelector("#edit-tol").addEventListener("change", (ev) => {
      const tol = Math.max(0, Number(ev.target.value) || 0);
      if (this.edit.dirty && !window.confirm(t("edit.tolerance_reset"))) { ev.target.value = this.edit.tol; return; }
      this.applyTolerance(tol);
    });
    bar.querySelector("#edit-save").addEventListener("click", () => this.saveEdit());
    bar.querySelector("#edit-cancel").addEventListener("click", () => this.cancelEdit());
  },

  /** Write the vertex counts into the edit bar: shown now, and as read. */
  showEditCounts() {
    const el = this.map.getContainer().querySelector("#edit-vertices");
    if (!el || !this.edit) return;
    const e = this.edit;
    el.textContent = t("edit.vertices", { n: vertexCount(e.layer.getLatLngs()), of: vertexCount(e.original) });
  },

  hideEditBar() {
    this.map.getContainer().querySelector("#edit-bar")?.remove();
  },

  /** Stop editing; `restore` puts the outline as read back on the map. */
  endEdit({ restore = true } = {}) {
    const e = this.edit;
    if (!e) return;
    e.layer.off("pm:edit", this.onOutlineEdited, this);
    e.layer.pm.disable();
    if (restore) e.layer.setLatLngs(e.original);
    this.setPane(e.layer, "clusters");
    e.layer.setStyle(this.style(e.layer.feature));
    this.edit = null;
    this.editing = false;
    this.hideEditBar();
  },

  cancelEdit() {
    this.endEdit({ restore: true });
  },

  /** Save the outline as shown (simplified and edited), neighbours following when ticked. */
  async saveEdit() {
    const e = this.edit;
    if (!e) return;
    const follow = this.map.getContainer().querySelector("#edit-yield")?.checked ?? true;
    const geometry = e.layer.toGeoJSON(false).geometry;
    await this.save(e.id, geometry, { neighbours: follow ? "yield" : null });
  },

  /** Return the If-Match header naming cluster `id` and, when neighbours follow, every cluster of
   * its park at the version the page shows (the server checks those it changes). */
  async ifMatch(id, { neighbours = null, etag = null } = {}) {
    const mine = etag || await this.etagFor(id);
    const others = neighbours === "yield" ? this.parkTags(this.parkOfCluster(id), id) : "";
    return [mine, others].filter(Boolean).join(", ");
  },

  /**
   * PUT a new outline for cluster `id`, conditional on the versions the page showed; with
   * `neighbours: "yield"` the neighbours give up / take the land the edge moved over. Return the
   * answer, or null when refused (the outline is kept on the map, marked).
   */
  async save(id, geometry, { etag = null, neighbours = null } = {}) {
    const layer = this.byId.get(id);
    const props = layer ? layer.feature.properties : {};
    try {
      const res = await request("PUT", `/clusters/${encodeURIComponent(id)}`, {
        json: { geometry }, params: neighbours ? { neighbours } : undefined,
        headers: { "If-Match": await this.ifMatch(id, { neighbours, etag }) },
      });
      const others = changedIds(res.data, id).map((o) => this.nameOf(o));
      toast(t("cluster.saved", { name: pick(props) || id })
        + (others.length ? ` · ${t("cluster.neighbours_changed", { names: others.join("、") })}` : "")
        + reassignedText(res.data), "ok");
      this.dropConflict(id);
      this.clearAlert();
      this.clearProblem();
      await this.afterWrite(id);
      return res;
    } catch (err) {
      if (err.status === 412) err.mine = { geometry, neighbours };
      else if (layer) {
        // keep the planner's outline on the map, marked, so nothing is lost
        layer.setStyle({ color: "#d50000", dashArray: "3 3", weight: 3 });
        layer.unsaved = geometry;
      }
      this.showError(id, err);
      return null;
    }
  },

  /** Return cluster `id`'s name in the page's language (its code when unknown). */
  nameOf(id) {
    const l = this.byId.get(id);
    return (l && pick(l.feature.properties)) || id;
  },
};
