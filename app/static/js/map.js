// The map page: basemaps, layers and their control, legend, scale, coordinates, search, the
// parcel panel, the project check and the cluster editor — wired together.

import { initAuth, onUserChange, openLogin } from "./auth.js";
import { hillshadeLayer, osmLayer, slopeLayer, tiandituLayer } from "./basemaps.js";
import { loadAdmitted, onAdmittedChange } from "./admitted.js";
import { loadSupervised, onSupervisedChange } from "./supervised.js";
import { EvaluationLayer, SupervisionLayer } from "./land_layers.js";
import { ProjectCheck } from "./check.js";
import { ClusterEditor } from "./clusters/editor.js";
import { initI18n, lang, onLangChange, pick, setLang, t } from "./i18n.js";
import {
  coordsControl, legendControl, parksLayer, placesLayer, riversLayer, roadsLayer,
  substationsLayer, waterLayer,
} from "./layers.js";
import { showParcel } from "./panel.js";
import { ParcelLayer, searchParcels, statusText } from "./parcels.js";
import { get } from "./api.js";
import { ProjectRegister } from "./register.js";
import { esc, toast, toastError } from "./ui.js";
import { loadZone, zone, zoneBounds } from "./zone.js";

const PANES = { parks: 402, clusters: 404, parcels: 410, landuse: 415, infra: 420, recommend: 430, recommendLabels: 650 };

function makeMap() {
  // pmIgnore: false — Leaflet-Geoman is opted in layer by layer (clusters/geoman.js), the map too
  const map = L.map("map", { zoomControl: true, attributionControl: true, minZoom: 7, maxZoom: 19, pmIgnore: false });
  map.attributionControl.setPrefix(false);
  for (const [name, z] of Object.entries(PANES)) map.createPane(name).style.zIndex = z;
  return map;
}

/** Write the titles Leaflet gives its own buttons (zoom, layers) in the interface's language. */
function labelLeafletButtons(map) {
  const c = map.getContainer();
  for (const [sel, key] of [[".leaflet-control-zoom-in", "map.zoom_in"], [".leaflet-control-zoom-out", "map.zoom_out"],
    [".leaflet-control-layers-toggle", "layers.title"]]) {
    c.querySelectorAll(sel).forEach((a) => { a.title = t(key); a.setAttribute("aria-label", t(key)); });
  }
}

function statusControl() {
  const Status = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const div = L.DomUtil.create("div", "leaflet-control parcel-status");
      div.id = "parcel-status";
      return div;
    },
  });
  return new Status();
}

/** Buttons that zoom to each park, and to the whole zone. */
function parkZoomControl(map, parksLayer) {
  const Ctl = L.Control.extend({
    options: { position: "topleft" },
    onAdd() {
      const div = L.DomUtil.create("div", "leaflet-bar park-zoom");
      L.DomEvent.disableClickPropagation(div);
      const render = () => {
        div.innerHTML = [...zone.parks.map((p) => `<a href="#" role="button" data-park="${esc(p.id)}" title="${esc(pick(p))}">${esc(pick(p))}</a>`),
          `<a href="#" role="button" data-park="" title="${esc(t("zoom.zone"))}">${esc(t("zoom.zone"))}</a>`].join("");
        div.querySelectorAll("a").forEach((a) => a.addEventListener("click", (ev) => {
          ev.preventDefault();
          const id = a.dataset.park;
          if (!id) { const b = zoneBounds(); if (b) map.fitBounds(b); return; }
          parksLayer.eachLayer((l) => {
            const f = l.feature;
            if (f && (f.id === id || f.properties.park_id === id)) map.fitBounds(l.getBounds(), { padding: [10, 10] });
          });
        }));
      };
      render();
      onLangChange(render);
      return div;
    },
  });
  return new Ctl();
}

function switchTab(id) {
  const btn = document.querySelector(`[data-bs-target="#${id}"]`);
  if (btn) window.bootstrap.Tab.getOrCreateInstance(btn).show();
}

/** Open what the page's URL asks for: `?layer=supervision|evaluation` shows that layer
 * (`&as_of=YYYY-MM-DD` the supervision cases of that date), `?parcel=ID` selects the parcel and
 * centres the map on it (the supervision list links here). */
async function openFromUrl(map, parcels, land) {
  const q = new URLSearchParams(window.location.search);
  const layer = Object.hasOwn(land, q.get("layer") || "") ? land[q.get("layer")] : null;
  if (layer) {
    if (layer === land.supervision && /^\d{4}-\d{2}-\d{2}$/.test(q.get("as_of") || "")) layer.asOf = q.get("as_of");
    const drawn = new Promise((resolve) => map.once("landlayer:drawn", resolve));
    layer.group.addTo(map);
    await drawn;
  }
  const id = q.get("parcel");
  if (id) {
    try {
      const feature = await get(`/parcels/${encodeURIComponent(id)}`);
      parcels.select(id, { zoom: true, feature });
    } catch (err) {
      toastError(err);
    }
  }
}

async function main() {
  await initI18n();
  document.getElementById("lang-btn").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh").catch((err) => toastError(err)); });
  await initAuth();
  for (;;) {
    try {
      await loadZone();
      break;
    } catch (err) {
      if (err.status !== 401) {
        toastError(err, t("zone.load_failed"));
        return;
      }
      // This server wants a login even to read: ask for one, then read again.
      openLogin();
      await new Promise((resolve) => { onUserChange((u) => { if (u) resolve(); }); });
    }
  }
  document.getElementById("zone-name").textContent = lang() === "en" ? zone.name_en || zone.name : zone.name;
  onLangChange(() => {
    document.getElementById("zone-name").textContent = lang() === "en" ? zone.name_en || zone.name : zone.name;
  });

  const map = makeMap();
  const bounds = zoneBounds();
  if (bounds) map.fitBounds(bounds, { padding: [10, 10] });
  else map.setView([36.93, 111.3], 11);
  const tileBounds = bounds ? bounds.pad(0.05) : undefined;

  // ---- basemaps and overlays
  const basemaps = {
    hillshade: hillshadeLayer(tileBounds), tianditu: tiandituLayer(), osm: osmLayer(), none: L.layerGroup(),
  };
  basemaps.hillshade.addTo(map);

  const panelRoot = document.getElementById("parcel-panel");
  const statusCtl = statusControl().addTo(map);
  const parcels = new ParcelLayer(map, {
    onSelect: async (id, { show = true } = {}) => {
      if (show) switchTab("tab-parcel");
      check.updateParcel();
      try {
        await showParcel(panelRoot, id);
      } catch (err) {
        panelRoot.innerHTML = `<div class="alert alert-danger">${esc(err.message)}</div>`;
      }
    },
    onStatus: (s) => {
      const el = statusCtl.getContainer();
      el.textContent = statusText(s);
      el.classList.toggle("text-danger", !!s.error);
    },
  });

  // the land-use layers (issue 17): a click on one of their parcels selects it as on the parcel layer
  const selectParcel = (id) => { if (id) parcels.select(id, { zoom: false }); };
  const land = { evaluation: new EvaluationLayer(map, { onPick: selectParcel }), supervision: new SupervisionLayer(map, { onPick: selectParcel }) };
  const overlays = {
    parks: parksLayer(), clusters: null, parcels: parcels.group, evaluation: land.evaluation.group,
    supervision: land.supervision.group, roads: roadsLayer(),
    rivers: riversLayer(), substations: substationsLayer(), water: waterLayer(),
    places: placesLayer(), slope: slopeLayer(tileBounds), recommend: null,
  };
  const clusters = new ClusterEditor({
    map, root: document.getElementById("cluster-panel"), parksLayer: overlays.parks,
    onChanged: () => parcels.reload(),
  });
  overlays.clusters = clusters.group;
  const check = new ProjectCheck({
    map, form: document.getElementById("project-form"), results: document.getElementById("check-results"),
    getParcel: () => parcels.selected,
    onPick: (id) => parcels.select(id, { zoom: false, show: false }),
    onAdmitted: () => registerChanged(),
  });
  const register = new ProjectRegister({
    root: document.getElementById("register-panel"), onChanged: () => registerChanged(),
  });
  /** The register changed (saved, admitted, revoked): read it and the admitted parcels again. */
  async function registerChanged() {
    await Promise.all([register.load(), loadAdmitted().catch((err) => toastError(err))]);
  }
  onUserChange(() => { // the register and the supervision cases are read by signed-in users only
    registerChanged();
    loadSupervised().catch((err) => toastError(err));
    Object.values(land).forEach((l) => l.reload());
  });
  onSupervisedChange(() => parcels.restyle());
  onAdmittedChange(() => {
    parcels.restyle();
    if (parcels.selected) showParcel(panelRoot, parcels.selected).catch(() => {});
  });
  overlays.recommend = check.highlight;

  for (const name of ["parks", "clusters", "parcels", "roads", "rivers", "substations", "water"]) {
    overlays[name].addTo(map);
  }

  let layerControl = null;
  const buildLayerControl = () => {
    if (layerControl) map.removeControl(layerControl);
    const base = {};
    for (const [k, layer] of Object.entries(basemaps)) base[`<span data-layer="${k}">${esc(t(`basemap.${k}`))}</span>`] = layer;
    const over = {};
    for (const [k, layer] of Object.entries(overlays)) over[`<span data-layer="${k}">${esc(t(`layer.${k}`))}</span>`] = layer;
    layerControl = L.control.layers(base, over, { position: "topright", collapsed: true }).addTo(map);
    labelLeafletButtons(map);
  };
  buildLayerControl();

  parkZoomControl(map, overlays.parks).addTo(map);
  L.control.scale({ metric: true, imperial: false, position: "bottomleft", maxWidth: 150 }).addTo(map);
  coordsControl().addTo(map);
  const legend = legendControl(parcels, (mode) => { parcels.setMode(mode); legend.render(); },
    () => map.hasLayer(overlays.slope), () => Object.values(land).filter((l) => map.hasLayer(l.group))).addTo(map);
  map.on("overlayadd overlayremove landlayer:drawn", () => legend.render());

  onLangChange(() => {
    buildLayerControl();
    legend.render();
    parcels.onStatus({ loaded: parcels.byId.size, matched: parcels.matched, truncated: parcels.truncated });
    if (parcels.selected) showParcel(panelRoot, parcels.selected).catch(() => {});
  });

  // ---- search by parcel id or enterprise name
  const searchForm = document.getElementById("search-form");
  const results = document.getElementById("search-results");
  searchForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = searchForm.q.value;
    results.innerHTML = "";
    results.classList.add("d-none");
    try {
      const found = await searchParcels(q);
      if (!found.length) {
        toast(t("search.none", { q }), "warn");
      } else if (found.length === 1) {
        parcels.select(found[0].parcel_id, { zoom: true, feature: found[0].feature });
      } else {
        results.innerHTML = found.slice(0, 20).map((r, i) => `<button type="button" class="list-group-item list-group-item-action" data-i="${i}">
          <b>${esc(r.parcel_id)}</b> ${esc(r.enterprise || "")}</button>`).join("");
        results.classList.remove("d-none");
        results.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
          const r = found[Number(b.dataset.i)];
          results.classList.add("d-none");
          parcels.select(r.parcel_id, { zoom: true, feature: r.feature });
        }));
      }
    } catch (err) {
      toastError(err, t("search.failed"));
    }
  });

  await clusters.load();
  clusters.updateDrawControl();
  await Promise.all([registerChanged(), loadSupervised().catch((err) => toastError(err))]);
  parcels.refresh();

  await openFromUrl(map, parcels, land);

  window.parksite = { map, parcels, clusters, check, register, overlays, basemaps, zone, land, ready: true };
  document.body.dataset.ready = "1";
  map.fire("parksite:ready");
}

main().catch((err) => {
  console.error(err);
  toastError(err);
});
