// Basemaps: a hillshade of the zone's DEM served by this server (default, works offline), and
// the optional internet basemaps 天地图 (with the user's key, kept in localStorage) and
// OpenStreetMap. These two are the only places the pages name another host; they are off until
// the user picks them (keep the hosts in step with app/web/pages.py BASEMAP_IMG_SOURCES).

import { API } from "./api.js";
import { onLangChange, t } from "./i18n.js";

const TDT_KEY = "parksite.tianditu_key";
const TDT_URL = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
  + "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}";
const OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/** Keep `layer`'s attribution (text key `key`) in the current language, also while shown. */
function translatedAttribution(layer, key) {
  onLangChange(() => {
    const old = layer.options.attribution;
    layer.options.attribution = t(key);
    const ctrl = layer._map && layer._map.attributionControl;
    if (ctrl) ctrl.removeAttribution(old).addAttribution(layer.options.attribution);
  });
  return layer;
}

/** The hillshade tile layer (zone DEM), limited to the zone's bounds so no empty tile is asked. */
export function hillshadeLayer(bounds) {
  return translatedAttribution(L.tileLayer(`${API}/tiles/hillshade/{z}/{x}/{y}.png`, {
    bounds, minZoom: 8, maxNativeZoom: 16, maxZoom: 19, attribution: t("basemap.hillshade_attr"),
    className: "hillshade-tiles",
  }), "basemap.hillshade_attr");
}

/** The slope overlay tile layer (zone DEM). */
export function slopeLayer(bounds) {
  return L.tileLayer(`${API}/tiles/slope/{z}/{x}/{y}.png`, {
    bounds, minZoom: 8, maxNativeZoom: 16, maxZoom: 19, opacity: 0.6, className: "slope-tiles",
  });
}

export function tiandituKey() {
  return localStorage.getItem(TDT_KEY) || "";
}

/** 天地图 vector map with labels; asks for the user's key when it is first switched on. */
export function tiandituLayer() {
  const opts = { subdomains: "01234567", maxZoom: 18, attribution: t("basemap.tianditu_attr") };
  const Tianditu = L.LayerGroup.extend({
    onAdd(map) {
      let key = tiandituKey();
      if (!key) {
        key = (window.prompt(t("basemap.tianditu_key_prompt")) || "").trim();
        if (key) localStorage.setItem(TDT_KEY, key);
      }
      this.clearLayers();
      if (key) {
        this.addLayer(L.tileLayer(TDT_URL, { ...opts, layer: "vec", tk: key }));
        this.addLayer(L.tileLayer(TDT_URL, { ...opts, layer: "cva", tk: key }));
      }
      L.LayerGroup.prototype.onAdd.call(this, map);
    },
  });
  return new Tianditu();
}

/** OpenStreetMap standard tiles. */
export function osmLayer() {
  return translatedAttribution(L.tileLayer(OSM_URL, { maxZoom: 19, attribution: t("basemap.osm_attr") }),
    "basemap.osm_attr");
}
