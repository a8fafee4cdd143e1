// Leaflet-Geoman (vendored, free edition) as the cluster editor uses it: opted in layer by layer
// (only cluster outlines can be edited; parcels, roads and park boundaries are snap targets),
// its tooltips in the page's language from the catalogue, drawing a polygon or a line with
// snapping, and a small bar of actions (finish, undo a vertex, cancel) while drawing.

import { t } from "../i18n.js";

// Opt in: a layer gets Geoman's editing only with `pmIgnore: false` (the map and the clusters),
// and is a snap target only with `snapIgnore: false` (parcels, roads, park boundaries) or when
// it is a cluster. Must run before the map and its layers are made.
L.PM.setOptIn(true);

/** Options that make a layer a snap target without making it editable. */
export const SNAP_TARGET = { snapIgnore: false };

/** The style of an outline being drawn (a new cluster, a split line). */
export const DRAW_STYLE = { color: "#e040fb", weight: 3 };

/** Set Geoman's own texts (tooltips while drawing) in the current language. */
export function geomanLang(map, lang) {
  map.pm.setLang(lang === "en" ? "en" : "zh", {
    tooltips: {
      firstVertex: t("draw.poly_start"), continueLine: t("draw.poly_cont"), finishPoly: t("draw.poly_end"),
      finishLine: t("draw.line_end"),
    },
    actions: { finish: t("draw.finish"), cancel: t("draw.cancel"), removeLastVertex: t("draw.undo") },
  }, "en");
}

/** Set the options every drawing and edit shares: snapping to what is on the map, no
 * self-crossing outlines. */
export function geomanDefaults(map) {
  map.pm.setGlobalOptions({
    snappable: true, snapDistance: 15, snapSegment: true, allowSelfIntersection: false,
    templineStyle: DRAW_STYLE, hintlineStyle: { ...DRAW_STYLE, dashArray: "5 5" }, pathOptions: DRAW_STYLE,
  });
}

/**
 * Let the planner draw a `shape` ("Polygon" or "Line") with snapping; resolve with the drawn
 * layer (not on the map), or null when cancelled. A bar on the map offers finish, undo the last
 * vertex and cancel.
 */
export function drawShape(map, shape, { hint }) {
  return new Promise((resolve) => {
    const bar = L.DomUtil.create("div", "draw-bar leaflet-bar", map.getContainer());
    bar.id = "draw-bar";
    bar.innerHTML = `<span class="draw-hint"></span>
      <button type="button" class="btn btn-sm btn-primary" id="draw-finish"></button>
      <button type="button" class="btn btn-sm btn-outline-secondary" id="draw-undo"></button>
      <button type="button" class="btn btn-sm btn-outline-secondary" id="draw-cancel"></button>`;
    bar.querySelector(".draw-hint").textContent = hint;
    bar.querySelector("#draw-finish").textContent = t("draw.finish");
    bar.querySelector("#draw-undo").textContent = t("draw.undo");
    bar.querySelector("#draw-cancel").textContent = t("draw.cancel");
    L.DomEvent.disableClickPropagation(bar);
    let done = false;
    const end = (layer) => {
      if (done) return;
      done = true;
      map.off("pm:create", onCreate);
      map.pm.disableDraw();
      bar.remove();
      resolve(layer);
    };
    const onCreate = (e) => { map.removeLayer(e.layer); end(e.layer); };
    map.on("pm:create", onCreate);
    map.pm.enableDraw(shape, { snappable: true, continueDrawing: false, finishOn: null });
    const drawer = map.pm.Draw[shape];
    bar.querySelector("#draw-finish").addEventListener("click", () => drawer._finishShape());
    bar.querySelector("#draw-undo").addEventListener("click", () => drawer._removeLastVertex());
    bar.querySelector("#draw-cancel").addEventListener("click", () => end(null));
    map.once("pm:drawend", () => setTimeout(() => end(null), 0));
  });
}
