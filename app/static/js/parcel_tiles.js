// Parcels drawn from vector tiles (/api/v1/tiles/parcels/{z}/{x}/{y}.mvt, Leaflet.VectorGrid)
// when a view holds more parcels than GeoJSON should carry; styled here by class, status or
// cluster like the GeoJSON layer, and a click still opens the parcel's panel.

import { get, getToken, onTokenChange } from "./api.js";

/** The URL flag that forces a mode: `?parcels=vector` or `?parcels=geojson`. */
export function forcedMode() {
  const v = new URLSearchParams(window.location.search).get("parcels");
  return v === "vector" || v === "geojson" ? v : null;
}

// Leaflet.VectorGrid 1.3.0 calls L.DomEvent.fakeStop on a click, which Leaflet 1.8 removed
// (Leaflet.VectorGrid issue #274, fixed upstream in PR #288 but never released). Leaflet 1.9's
// own canvas renderer fires the event without stopping it, so the map still sees a drag start.
function patchCanvasTileClick() {
  if (!L.Canvas.Tile || L.DomEvent.fakeStop || L.Canvas.Tile.prototype._parksitePatched) return;
  L.Canvas.Tile.include({
    _parksitePatched: true,
    _onClick(e) {
      const point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset());
      let hit = null;
      for (const id in this._layers) {
        const layer = this._layers[id];
        if (layer.options.interactive && layer._containsPoint(point) && !this._map._draggableMoved(layer)) hit = layer;
      }
      if (hit) this._fireEvent([hit], e);
    },
  });
}

export class ParcelTiles {
  /** `styleOf(properties)` gives a parcel's path style; `onClick(parcel_id, properties)` opens it. */
  constructor(map, { styleOf, onClick, onDrawn }) {
    this.map = map;
    this.styleOf = styleOf;
    this.onClick = onClick;
    this.onDrawn = onDrawn || (() => {});
    this.info = null;
    this.layer = null;
    this.drawn = 0;
    this.firstDrawnAt = null;
    this.highlighted = null;
  }

  /** Read the tiles' URL, the data version, the switch and, given a view's `bbox`, how many
   * parcels it holds (GET /tiles/vector.json); a new version gives the tiles new URLs. */
  async load(bbox = null, signal = undefined) {
    const info = await get("/tiles/vector.json", { params: bbox ? { bbox } : {}, signal });
    const changed = this.info && this.info.version !== info.version;
    this.info = info;
    if (this.layer && changed) this.layer.setUrl(this.url());
    return info;
  }

  url() {
    return this.info.url.replace("{layer}", "parcels");
  }

  /** Whether a view holding `matched` parcels (null: not counted) should use vector tiles. */
  wanted(matched) {
    const forced = forcedMode();
    if (forced) return forced === "vector";
    if (!this.info || this.info.parcels <= this.info.vector_above) return false;
    return matched === null || matched > this.info.vector_above;
  }

  /** Whether the zone is big enough that each view must be counted before choosing. */
  mayWant() {
    const forced = forcedMode();
    if (forced) return forced === "vector";
    return !!this.info && this.info.parcels > this.info.vector_above;
  }

  minZoom() {
    return this.info ? this.info.min_zoom : 14;
  }

  /** The VectorGrid layer (made on first use). */
  gridLayer() {
    if (this.layer) return this.layer;
    patchCanvasTileClick();
    const token = getToken();
    this.layer = L.vectorGrid.protobuf(this.url(), {
      pane: "parcels",
      rendererFactory: L.canvas.tile, // canvas: thousands of parcels per tile stay cheap
      interactive: true,
      maxNativeZoom: 16,
      minZoom: this.minZoom(),
      getFeatureId: (f) => f.properties.parcel_id,
      fetchOptions: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
      vectorTileLayerStyles: {
        parcels: (props) => {
          this.drawn += 1;
          if (this.firstDrawnAt === null) {
            this.firstDrawnAt = performance.now();
            this.onDrawn();
          }
          return { ...this.styleOf(props), fill: true };
        },
      },
    });
    this.layer.on("click", (ev) => {
      const p = ev.layer && ev.layer.properties;
      if (p && p.parcel_id) this.onClick(p.parcel_id, p);
    });
    onTokenChange((t) => { this.layer.options.fetchOptions = t ? { headers: { Authorization: `Bearer ${t}` } } : {}; });
    return this.layer;
  }

  /** Draw parcel `id` in its selected style (and the previous one in its own again). */
  highlight(id, props) {
    if (!this.layer) return;
    if (this.highlighted && this.highlighted !== id) this.layer.resetFeatureStyle(this.highlighted);
    this.highlighted = id;
    if (id && props) this.layer.setFeatureStyle(id, { ...this.styleOf(props), fill: true });
  }

  /** Draw every tile again (a new style mode, or admitted parcels changed). */
  redraw() {
    if (this.layer) this.layer.redraw();
  }
}
