// The parcel layer: loaded from the API for the visible box only (bbox + paging) as the map
// moves, styled by suitability class, status or cluster, with a selected parcel highlighted.

import { ADMITTED_COLOR, admittedOf } from "./admitted.js";
import { get } from "./api.js";
import { supervisedOf, supervisedOutline } from "./supervised.js";
import { t } from "./i18n.js";
import { ParcelTiles } from "./parcel_tiles.js";
import { esc } from "./ui.js";
import { STATUS_COLORS, classColor, clusterColor } from "./zone.js";

/** Parcels asked per request, and the most pages read for one view before asking to zoom in. */
export const PAGE_SIZE = 500;
export const MAX_PAGES = 10;
/** Below this zoom no parcels are loaded (the parks' outlines are enough there). */
export const MIN_ZOOM = 11;
/** Past this many kept parcels, those far out of view are dropped. */
const MAX_KEEP = 4000;

export class ParcelLayer {
  constructor(map, { onSelect, onStatus } = {}) {
    this.map = map;
    this.onSelect = onSelect || (() => {});
    this.onStatus = onStatus || (() => {});
    this.mode = localStorage.getItem("parksite.parcel_style") || "class";
    this.byId = new Map();
    this.pageSize = PAGE_SIZE;
    this.selected = null;
    this.matched = null;
    this.loading = false;
    this.truncated = false;
    this.abort = null;
    this.generation = 0;
    this.group = L.featureGroup([], { pane: "parcels" });
    // big views: vector tiles instead of GeoJSON (parcel_tiles.js); `vector` says which is shown
    this.vector = false;
    this.vectorProps = new Map();
    this.tiles = new ParcelTiles(map, {
      styleOf: (props) => this.style({ properties: props }),
      onClick: (id, props) => { this.vectorProps.set(id, props); this.select(id, { zoom: false }); },
      onDrawn: () => this.map.fire("parcels:drawn"),
    });
    this.map.on("moveend", () => this.refresh());
  }

  /** Style of one parcel feature in the current mode. */
  style(feature) {
    const p = feature.properties || {};
    let fill;
    if (this.mode === "status") fill = STATUS_COLORS[p.status] || "#cccccc";
    else if (this.mode === "cluster") fill = clusterColor(p.cluster);
    else fill = classColor(p.class, p.excluded);
    const sel = this.selected === p.parcel_id;
    // taken by an admitted project: a thick purple outline (dashed; solid and thicker when selected)
    const admitted = !!admittedOf(p.parcel_id);
    // a supervision case today (供后监管): pink for idle land, dashed orange for overdue (thick)
    const supervised = admitted ? null : supervisedOutline(p.parcel_id);
    return {
      pane: "parcels", color: admitted ? ADMITTED_COLOR : supervised ? supervised.color : sel ? "#00e5ff" : "#333333",
      weight: admitted ? (sel ? 5 : 3.5) : supervised ? (sel ? 5 : 3.5) : sel ? 3 : 0.7,
      fillColor: fill, fillOpacity: sel ? 0.85 : 0.6,
      dashArray: admitted ? (sel ? null : "6 3") : supervised ? supervised.dash
        : this.mode === "class" && p.excluded ? "3 3" : null,
    };
  }

  setMode(mode) {
    this.mode = mode;
    localStorage.setItem("parksite.parcel_style", mode);
    this.restyle();
  }

  restyle() {
    this.byId.forEach((layer) => layer.setStyle(this.style(layer.feature)));
    if (this.vector) this.tiles.redraw();
  }

  /** Show the parcels of this view from vector tiles (GeoJSON parcels are dropped). */
  _showVector(matched) {
    const grid = this.tiles.gridLayer();
    if (!this.vector) {
      this.group.clearLayers();
      this.byId.clear();
      this.vector = true;
    }
    if (!this.group.hasLayer(grid)) this.group.addLayer(grid);
    this.matched = matched;
    this.truncated = false;
    this.onStatus({ vector: true, matched, zoomIn: this.map.getZoom() < this.tiles.minZoom() });
    this.map.fire("parcels:loaded");
  }

  /** Back to GeoJSON parcels (a view small enough). */
  _hideVector() {
    if (!this.vector) return;
    this.vector = false;
    if (this.tiles.layer) this.group.removeLayer(this.tiles.layer);
  }

  _add(feature) {
    const id = feature.properties && feature.properties.parcel_id;
    if (!id) return;
    const old = this.byId.get(id);
    if (old) {
      if ((old.feature.properties.version ?? 0) === (feature.properties.version ?? 0)
          && old.feature.properties.cluster === feature.properties.cluster) return;
      this.group.removeLayer(old);
    }
    // snapIgnore: false — parcel edges are snap targets of the cluster tools
    const layer = L.geoJSON(feature, { pane: "parcels", snapIgnore: false, style: (f) => this.style(f) }).getLayers()[0];
    if (!layer) return;
    layer.feature = feature;
    layer.bindTooltip(() => {
      const p = layer.feature.properties;
      const adm = admittedOf(p.parcel_id);
      const sup = supervisedOf(p.parcel_id);
      return `<b>${esc(p.parcel_id)}</b>${p.enterprise ? `<br>${esc(p.enterprise)}` : ""}${
        adm ? `<br><span class="admitted-tip">${esc(t("project_status.admitted"))} · ${esc(adm.name)}</span>` : ""}${
        sup ? `<br><span class="supervised-tip">${esc(t("parcel.supervision"))} · ${esc(sup.enterprise)}</span>` : ""}`;
    }, { sticky: true });
    layer.on("click", (ev) => {
      // while an outline is drawn (cluster tools), a click places a vertex: let it reach the map
      if (this.map.pm && this.map.pm.globalDrawModeEnabled()) return;
      L.DomEvent.stopPropagation(ev);
      this.select(id, { zoom: false });
    });
    this.byId.set(id, layer);
    this.group.addLayer(layer);
  }

  _prune(bounds) {
    if (this.byId.size <= MAX_KEEP) return;
    for (const [id, layer] of this.byId) {
      if (id !== this.selected && !bounds.intersects(layer.getBounds())) {
        this.group.removeLayer(layer);
        this.byId.delete(id);
      }
    }
  }

  /** Load the parcels of the current view, page by page; earlier loads are cancelled. */
  async refresh() {
    if (this.abort) this.abort.abort();
    if (!this.map.hasLayer(this.group)) return;
    const gen = ++this.generation;
    if (this.map.getZoom() < MIN_ZOOM) {
      this.truncated = false;
      this.onStatus({ zoomIn: true, loaded: this.byId.size });
      return;
    }
    const controller = new AbortController();
    this.abort = controller;
    const bounds = this.map.getBounds().pad(0.15);
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((x) => x.toFixed(6)).join(",");
    try {
      if (!this.tiles.info) await this.tiles.load();
      if (gen !== this.generation) return;
      if (this.tiles.mayWant()) {
        // count the view's parcels (spatial index only) before choosing GeoJSON or vector tiles
        const info = await this.tiles.load(bbox, controller.signal);
        if (gen !== this.generation) return;
        if (this.tiles.wanted(info.in_view)) { this._showVector(info.in_view); return; }
      }
    } catch (err) {
      if (err.name === "AbortError") return;
      this.onStatus({ error: err });
      return;
    }
    this._hideVector();
    this.loading = true;
    this.onStatus({ loading: true, loaded: this.byId.size });
    let offset = 0;
    let pages = 0;
    try {
      for (;;) {
        const fc = await get("/parcels", {
          params: { bbox, limit: this.pageSize, offset }, signal: controller.signal,
        });
        if (gen !== this.generation) return;
        const feats = fc.features || [];
        feats.forEach((f) => this._add(f));
        this.matched = fc.numberMatched ?? null;
        pages += 1;
        offset += feats.length;
        const returned = fc.numberReturned ?? feats.length;
        const hasNext = (fc.links || []).some((l) => l.rel === "next");
        const more = this.matched !== null ? offset < this.matched : (hasNext || returned >= this.pageSize);
        if (!more || returned === 0) { this.truncated = false; break; }
        if (pages >= MAX_PAGES) { this.truncated = true; break; }
      }
      this._prune(bounds);
    } catch (err) {
      if (err.name === "AbortError") return;
      this.onStatus({ error: err });
      return;
    } finally {
      if (gen === this.generation) this.loading = false;
    }
    this.onStatus({ loaded: this.byId.size, matched: this.matched, truncated: this.truncated });
    this.map.fire("parcels:loaded");
  }

  /** Drop every kept parcel and load the view again (after edits that re-assign parcels). */
  async reload() {
    this.group.clearLayers();
    this.byId.clear();
    this.vectorProps.clear();
    if (this.tiles.info) await this.tiles.load().catch(() => {}); // a new data version: new tile URLs
    return this.refresh();
  }

  /** Highlight parcel `id` and tell the listener (`show`: bring its panel to the front);
   * optionally zoom to its geometry. */
  select(id, { zoom = false, feature = null, show = true } = {}) {
    const prev = this.selected;
    this.selected = id;
    if (prev && this.byId.has(prev)) this.byId.get(prev).setStyle(this.style(this.byId.get(prev).feature));
    if (this.vector) {
      if (feature) this.vectorProps.set(id, feature.properties);
      this.tiles.highlight(id, this.vectorProps.get(id));
    } else if (feature && !this.byId.has(id)) this._add(feature);
    const layer = this.byId.get(id);
    if (layer) {
      layer.setStyle(this.style(layer.feature));
      layer.bringToFront();
      if (zoom) this.map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [40, 40] });
    } else if (zoom && feature) {
      this.map.fitBounds(L.geoJSON(feature).getBounds(), { maxZoom: 16, padding: [40, 40] });
    }
    if (id) this.onSelect(id, { show });
  }

  clearSelection() {
    const prev = this.selected;
    this.selected = null;
    if (this.vector) this.tiles.highlight(null);
    if (prev && this.byId.has(prev)) this.byId.get(prev).setStyle(this.style(this.byId.get(prev).feature));
  }

  /** Return a parcel's kept feature properties, or null. */
  props(id) {
    const layer = this.byId.get(id);
    return layer ? layer.feature.properties : this.vectorProps.get(id) || null;
  }
}

/**
 * Find parcels by id or enterprise name. Returns [{parcel_id, enterprise, feature?}].
 * An exact parcel id is read directly; otherwise the occupied parcels are read (paged) and
 * their enterprise names matched, case-insensitively.
 */
export async function searchParcels(query) {
  const q = query.trim();
  if (!q) return [];
  if (/^[A-Za-z]{1,6}-?\d{1,6}$/.test(q)) {
    try {
      const f = await get(`/parcels/${encodeURIComponent(q.toUpperCase())}`);
      return [{ parcel_id: f.properties.parcel_id, enterprise: f.properties.enterprise, feature: f }];
    } catch (err) {
      if (err.status !== 404) throw err;
    }
  }
  const needle = q.toLowerCase();
  const out = [];
  for (let offset = 0, page = 0; page < MAX_PAGES; page += 1) {
    const fc = await get("/parcels", { params: { status: "existing", limit: PAGE_SIZE, offset } });
    const feats = fc.features || [];
    for (const f of feats) {
      const p = f.properties || {};
      if ((p.enterprise && p.enterprise.toLowerCase().includes(needle))
          || String(p.parcel_id).toLowerCase() === needle) {
        out.push({ parcel_id: p.parcel_id, enterprise: p.enterprise, feature: f });
      }
    }
    offset += feats.length;
    if (feats.length === 0 || (fc.numberMatched !== undefined && offset >= fc.numberMatched)) break;
  }
  return out;
}

/** Return the text of the parcel status line (loaded / matched / zoom in). */
export function statusText(s) {
  if (s.error) return t("parcels.load_error", { message: s.error.message });
  if (s.zoomIn) return t("parcels.zoom_in");
  if (s.vector) return t("parcels.vector", { matched: s.matched ?? "?" });
  if (s.loading) return t("parcels.loading");
  const base = t("parcels.loaded", { n: s.loaded, matched: s.matched ?? "?" });
  return s.truncated ? `${base} ${t("parcels.truncated")}` : base;
}
