// The clusters on the map and in the 组团 tab's list: read from the API, styled in their colours,
// selected by a click (on the map or in the list), read again after every write.

import { get } from "../api.js";
import { hasRole } from "../auth.js";
import { pick, t } from "../i18n.js";
import { esc, num } from "../ui.js";
import { clusterColor, zone } from "../zone.js";
import { clusterId } from "./feature.js";

/** ClusterEditor's methods that load and show the clusters (mixed into its prototype). */
export const displayMethods = {
  /** Return the Leaflet path style of cluster Feature `f` (its colour, dashed). */
  style(f) {
    return {
      pane: "clusters", pmIgnore: false, color: clusterColor(clusterId(f)), weight: 2.5, dashArray: "8 5",
      fillColor: clusterColor(clusterId(f)), fillOpacity: 0.06,
    };
  },

  /** Restyle and re-label every cluster on the map (after a language switch). */
  restyle() {
    this.byId.forEach((layer) => {
      layer.setStyle(this.style(layer.feature));
      layer.setTooltipContent(pick(layer.feature.properties) || clusterId(layer.feature));
    });
  },

  /** Read every cluster (GET /clusters) and redraw them; merges names into the zone's list. */
  async load() {
    const fc = await get("/clusters");
    if (this.edit) this.endEdit({ restore: false });
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
    this.updateTools();
    await Promise.all([this.loadDeleted(), this.loadUnassigned()]);
    this.map.fire("clusters:loaded");
  },

  /** Put cluster Feature `f` on the map as an editable layer; return the layer (null if empty). */
  addFeature(f) {
    const id = clusterId(f);
    if (f.geometry && f.geometry.type === "MultiPolygon" && f.geometry.coordinates.length === 1) {
      // One part: edit it as a polygon (one ring of handles).
      f = { ...f, geometry: { type: "Polygon", coordinates: f.geometry.coordinates[0] } };
    }
    const layer = L.geoJSON(f, { pane: "clusters", pmIgnore: false, style: (ff) => this.style(ff) }).getLayers()[0];
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
  },

  /** List the clusters in the 组团 tab (name, area in 亩, version) and say who may edit. */
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
  },

  /** Select cluster `id`: highlight it in the list, zoom to it if asked, show its history. */
  select(id, { zoom = false } = {}) {
    this.selected = id;
    this.renderList();
    this.updateTools();
    const layer = this.byId.get(id);
    if (layer && zoom) this.map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 17 });
    this.map.fire("cluster:selected", { id });
    this.showHistory(id);
  },

  /** After a saved write: read the clusters again, tell the map, select `selectId` again. */
  async afterWrite(selectId = null) {
    await this.load();
    await this.onChanged();
    if (selectId && this.byId.has(selectId)) this.select(selectId);
  },
};
