// The zone's reference layers (parks, roads, rivers with their control lines, substations,
// water, places), the legend, and the mouse-coordinate read-out.

import { ADMITTED_COLOR } from "./admitted.js";
import { IDLE_COLOR, OVERDUE_COLOR } from "./supervised.js";
import { get } from "./api.js";
import { lang, onLangChange, pick, t, tOr } from "./i18n.js";
import { esc, num, toastError } from "./ui.js";
import {
  CLASS_COLORS, EXCLUDED_COLOR, STATUS_COLORS, clusterColor, zone,
} from "./zone.js";

export const ROAD_STYLES = {
  provincial: { color: "#d62728", weight: 4 },
  county: { color: "#ff7f0e", weight: 3 },
  township: { color: "#8c6d31", weight: 2.5 },
  park: { color: "#6b6b6b", weight: 2 },
  link: { color: "#9e9e9e", weight: 1.5 },
};
const RIVER_COLOR = "#1f78b4";

/** A layer group filled from GET /layers/{name} (or another path) the first time it is shown;
 * `name` is its layer.* text id (for messages). */
function lazyLayer(path, build, name) {
  const group = L.featureGroup();
  let loaded = false;
  group.on("add", async () => {
    if (loaded) return;
    loaded = true;
    try {
      const fc = await get(path);
      await build(group, fc);
      group.fire("data:loaded");
    } catch (err) {
      loaded = false;
      toastError(err, t("layers.load_failed", { layer: t(`layer.${name}`) }));
    }
  });
  return group;
}

function popupTable(rows) {
  return `<table class="table table-sm mb-0 popup-table">${rows
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

/** Park boundaries with their names as labels (in the interface's language). */
export function parksLayer() {
  const group = lazyLayer("/parks", (g, fc) => {
    L.geoJSON(fc, {
      pane: "parks", interactive: false, snapIgnore: false, // a snap target of the cluster tools
      style: { color: "#1b1b1b", weight: 2.5, fillColor: "#ffffff", fillOpacity: 0.04 },
      onEachFeature: (f, layer) => {
        layer.bindTooltip(() => esc(pick(f.properties)), {
          permanent: true, direction: "center", className: "park-label",
        });
      },
    }).eachLayer((l) => g.addLayer(l));
  }, "parks");
  // a permanent label is written once: write it again in the new language
  onLangChange(() => group.eachLayer((l) => { if (l.getTooltip()) l.getTooltip().update(); }));
  return group;
}

/** Roads styled by class, with their names on hover. */
export function roadsLayer() {
  return lazyLayer("/layers/roads", (group, fc) => {
    L.geoJSON(fc, {
      pane: "infra", snapIgnore: false, // a snap target of the cluster tools
      style: (f) => ({ ...(ROAD_STYLES[f.properties.class] || ROAD_STYLES.link), opacity: 0.9 }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(() => `${esc(p.name || p.road_id)} · ${esc(t(`road.${p.class}`))}`, { sticky: true });
      },
    }).eachLayer((l) => group.addLayer(l));
  }, "roads");
}

/** Rivers (centre lines, seasonal ones dashed) and their control lines (河道治导线): the band
 * `control_distance_m` each side of the centre line, from /layers/rivers-control. */
export function riversLayer() {
  return lazyLayer("/layers/rivers", async (group, fc) => {
    try {
      const zones = await get("/layers/rivers-control");
      L.geoJSON(zones, {
        pane: "infra", interactive: false,
        style: { color: RIVER_COLOR, weight: 0.8, opacity: 0.6, fillColor: RIVER_COLOR, fillOpacity: 0.16, className: "river-control" },
      }).eachLayer((l) => group.addLayer(l));
    } catch (err) {
      toastError(err, t("layers.load_failed", { layer: t("layer.control_line") }));
    }
    L.geoJSON(fc, {
      pane: "infra",
      style: (f) => ({ color: RIVER_COLOR, weight: 2.5, dashArray: f.properties.seasonal ? "6 4" : null }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(() => `${esc(p.name)} · ${esc(t("river.control", { m: num(p.control_distance_m, 0) }))}`,
          { sticky: true });
      },
    }).eachLayer((l) => group.addLayer(l));
  }, "rivers");
}

function marker(latlng, icon, color, illustrative = false) {
  return L.marker(latlng, {
    icon: L.AwesomeMarkers.icon({
      icon, prefix: "fa", markerColor: color, className: illustrative ? "awesome-marker illustrative" : "awesome-marker",
    }),
  });
}

/** A facility the plan does not name (the zone file marks it illustrative): a line saying so. */
function illustrativeNote(p) {
  if (!p.illustrative) return "";
  const note = lang() === "en" ? p.illustrative_note_en : p.illustrative_note;
  return `<div class="small text-secondary illustrative-note"><i class="fa-regular fa-square"></i> ${esc(t("infra.illustrative"))}${
    note ? `<br>${esc(note)}` : ""}</div>`;
}

/** Substations as markers, with voltage, capacity and load. */
export function substationsLayer() {
  return lazyLayer("/layers/substations", (group, fc) => {
    L.geoJSON(fc, {
      pointToLayer: (f, ll) => marker(ll, "bolt", f.properties.status === "planned" ? "lightgray" : "orange", f.properties.illustrative),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindPopup(() => `<b>${esc(p.name)}</b>${illustrativeNote(p)}${popupTable([
          [t("infra.voltage"), p.voltage_kv ? `${p.voltage_kv} kV` : null],
          [t("infra.status"), t(`infra.status.${p.status}`)],
          [t("infra.capacity"), p.capacity_mva != null ? `${num(p.capacity_mva)} MVA` : null],
          [t("infra.load"), p.load_mva != null ? `${num(p.load_mva)} MVA` : null],
        ])}`);
      },
    }).eachLayer((l) => group.addLayer(l));
  }, "substations");
}

const WATER_ICONS = { reservoir: ["water", "blue"], well: ["droplet", "cadetblue"], wastewater_plant: ["recycle", "darkgreen"] };

/** Water sources, mains and the wastewater plant. */
export function waterLayer() {
  return lazyLayer("/layers/water", (group, fc) => {
    L.geoJSON(fc, {
      pane: "infra",
      style: { color: "#17becf", weight: 2.5, dashArray: "2 5" },
      pointToLayer: (f, ll) => {
        const [icon, color] = WATER_ICONS[f.properties.kind] || ["droplet", "blue"];
        return marker(ll, icon, color, f.properties.illustrative);
      },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindPopup(() => `<b>${esc(p.name)}</b>${illustrativeNote(p)}${popupTable([
          [t("infra.kind"), t(`water.${p.kind}`)],
          [t("infra.status"), p.status ? tOr(`infra.status.${p.status}`, p.status) : null],
          [t("infra.capacity"), p.capacity_m3_per_day != null ? `${num(p.capacity_m3_per_day, 0)} m³/d` : null],
          [t("infra.used"), p.used_m3_per_day != null ? `${num(p.used_m3_per_day, 0)} m³/d` : null],
        ])}`);
      },
    }).eachLayer((l) => group.addLayer(l));
  }, "water");
}

/** The county seat and the park gates. */
export function placesLayer() {
  return lazyLayer("/layers/places", (group, fc) => {
    L.geoJSON(fc, {
      pointToLayer: (f, ll) => marker(ll, f.properties.kind === "gate" ? "door-open" : "landmark", "purple"),
      onEachFeature: (f, layer) => layer.bindTooltip(() => esc(f.properties.name)),
    }).eachLayer((l) => group.addLayer(l));
  }, "places");
}

// --------------------------------------------------------------------------- legend

function swatch(color, { line = false, dash = false, border = "#333" } = {}) {
  if (line) {
    return `<span class="lg-line" style="border-top:${dash ? "3px dashed" : "3px solid"} ${color}"></span>`;
  }
  return `<span class="lg-box" style="background:${color};border-color:${border}"></span>`;
}

/**
 * The legend: the parcel style switch (class / status / cluster) and the symbols of the layers.
 * `parcels` is the ParcelLayer; `onMode(mode)` is called when the user switches the style;
 * `shownLand()` returns the land-use layers shown (land_layers.js), whose legends are added.
 */
export function legendControl(parcels, onMode, slopeShown = () => false, shownLand = () => []) {
  const Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd() {
      this.div = L.DomUtil.create("div", "leaflet-control legend-control");
      L.DomEvent.disableClickPropagation(this.div);
      L.DomEvent.disableScrollPropagation(this.div);
      this.render();
      return this.div;
    },
    render() {
      const mode = parcels.mode;
      let items;
      if (mode === "status") {
        items = Object.entries(STATUS_COLORS).map(([s, c]) => `<li>${swatch(c)}${esc(t(`status_parcel.${s}`))}</li>`);
      } else if (mode === "cluster") {
        items = zone.clusters.map((c) => `<li>${swatch(clusterColor(c.id))}${esc(pick(c))}</li>`);
        items.push(`<li>${swatch("#999999")}${esc(t("parcel.no_cluster"))}</li>`);
      } else {
        items = zone.classes.map((c, i) => `<li>${swatch(CLASS_COLORS[i])}${esc(pick(c))}${
          c.min_score !== undefined ? ` <span class="text-muted">≥ ${esc(c.min_score)}</span>` : ""}</li>`);
        items.push(`<li>${swatch(EXCLUDED_COLOR)}${esc(t("class.excluded"))}</li>`);
      }
      const modes = ["class", "status", "cluster"].map((m) => `<div class="form-check form-check-inline">
        <input class="form-check-input" type="radio" name="parcel-style" id="style-${m}" value="${m}" ${m === mode ? "checked" : ""}>
        <label class="form-check-label" for="style-${m}">${esc(t(`style.${m}`))}</label></div>`).join("");
      // a land-use layer shown (land_layers.js) comes first: what the user switched on to see
      const land = shownLand().map((l) => `<div class="legend-land">${l.legendHtml(swatch)}</div>`).join("");
      this.div.innerHTML = `${land}<div class="legend-title">${esc(t("legend.title"))}</div>
        <div class="legend-modes">${modes}</div>
        <ul class="legend-list" id="legend-parcels">${items.join("")}
          <li id="legend-admitted">${swatch(ADMITTED_COLOR, { line: true, dash: true })}${esc(t("legend.admitted"))}</li>
          <li id="legend-idle">${swatch(IDLE_COLOR, { line: true })}${esc(t("legend.supervision_idle"))}</li>
          <li id="legend-overdue">${swatch(OVERDUE_COLOR, { line: true, dash: true })}${esc(t("legend.supervision_overdue"))}</li></ul>
        <ul class="legend-list legend-lines">
          <li>${swatch("#1b1b1b", { line: true })}${esc(t("layer.parks"))}</li>
          <li>${swatch("#555", { line: true, dash: true })}${esc(t("layer.clusters"))}</li>
          <li>${swatch(ROAD_STYLES.provincial.color, { line: true })}${esc(t("road.provincial"))}</li>
          <li>${swatch(ROAD_STYLES.county.color, { line: true })}${esc(t("road.county"))}</li>
          <li>${swatch(ROAD_STYLES.township.color, { line: true })}${esc(t("road.township"))} / ${esc(t("road.park"))}</li>
          <li>${swatch(RIVER_COLOR, { line: true })}${esc(t("layer.rivers_short"))}
              <span class="lg-band"></span>${esc(t("layer.control_line"))}</li>
          <li>${swatch("#17becf", { line: true, dash: true })}${esc(t("water.main"))}</li>
          <li id="legend-illustrative"><span class="lg-illustrative"></span>${esc(t("legend.illustrative"))}</li>
        </ul>${slopeShown() ? slopeLegend() : ""}`;
      shownLand().forEach((l) => { if (l.bindLegend) l.bindLegend(this.div); });
      this.div.querySelectorAll("input[name=parcel-style]").forEach((el) => {
        el.addEventListener("change", () => onMode(el.value));
      });
    },
  });
  return new Legend();
}

/** Slope classes of the slope tiles (app/api/tiles.py): 0–2°, 2–5°, 5° – natural limit, steeper. */
export const SLOPE_COLORS = ["#1a9641", "#a6d96a", "#fdae61", "#d7191c"];

function slopeLegend() {
  const scoring = (zone.raw && zone.raw.scoring) || {};
  const limits = scoring.slope_limits || [];
  const natural = limits.find((l) => l.id === (scoring.natural_slope_limit || "natural"));
  const pctLimit = natural ? natural.max_pct : 15;
  const deg = (Math.atan(pctLimit / 100) * 180) / Math.PI;
  const labels = ["0–2°", "2–5°", `5–${deg.toFixed(1)}°`, `> ${deg.toFixed(1)}° (${pctLimit} %)`];
  return `<div class="legend-title mt-1">${esc(t("layer.slope"))}</div><ul class="legend-list" id="legend-slope">${
    labels.map((l, i) => `<li>${swatch(SLOPE_COLORS[i])}${esc(l)}</li>`).join("")}</ul>`;
}

// --------------------------------------------------------------------------- coordinates

/** Mouse position read-out: lon/lat, and x/y in the zone's projected CRS (GET /zone crs_proj4). */
export function coordsControl() {
  const crs = zone.crs || "";
  const def = zone.crs_proj4;
  const project = def && window.proj4 ? window.proj4("EPSG:4326", def) : null;
  const Coords = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd(map) {
      const div = L.DomUtil.create("div", "leaflet-control coords-control");
      div.id = "coords";
      let last = null; // the last mouse position, written again in a new language
      const show = () => {
        if (!last) { div.textContent = t("coords.hint"); return; }
        const { lat, lng } = last;
        let s = `${t("coords.lon")} ${lng.toFixed(6)}°  ${t("coords.lat")} ${lat.toFixed(6)}°`;
        if (project) {
          const [x, y] = project.forward([lng, lat]);
          s += `  |  ${crs} X ${x.toFixed(1)}  Y ${y.toFixed(1)}`;
        }
        div.textContent = s;
      };
      show();
      onLangChange(show);
      map.on("mousemove", (e) => { last = e.latlng; show(); });
      return div;
    },
  });
  return new Coords();
}
