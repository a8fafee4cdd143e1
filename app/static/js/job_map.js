// The jobs page's map: a finished batch job's scored parcels drawn in the page itself (Leaflet),
// coloured by class as on the main map, with the parcel id and score on hover. The parcels come
// from the job's GeoJSON result (WGS 84); no basemap is needed.

import { download } from "./api.js";
import { lang, t } from "./i18n.js";
import { esc, num } from "./ui.js";
import { CLASS_COLORS, EXCLUDED_COLOR, classColor, zone } from "./zone.js";

let map = null;
let layer = null;

function excluded(p) {
  return p.excluded === true || p.excluded === 1 || p.excluded === "true" || p.excluded === "1";
}

function legendHtml() {
  const items = zone.classes.map((c, i) => [CLASS_COLORS[Math.min(i, CLASS_COLORS.length - 1)], lang() === "en" ? c.name_en || c.name : c.name]);
  items.push([EXCLUDED_COLOR, t("class.excluded")]);
  return items.map(([col, name]) => `<span class="me-3 text-nowrap"><span class="d-inline-block me-1 align-middle"
    style="width:14px;height:10px;background:${col};border:1px solid #555"></span>${esc(name)}</span>`).join("");
}

/** Draw the scored parcels of done job `id` (file `name`) in the page's map box. */
export async function showJobMap(id, name) {
  const box = document.getElementById("job-map-box");
  box.classList.remove("d-none");
  box.dataset.state = "loading";
  document.getElementById("job-map-title").textContent = t("jobs.map_title", { name });
  const { blob } = await download(`/jobs/${encodeURIComponent(id)}/result`, { format: "geojson" });
  const data = JSON.parse(await blob.text());
  if (!map) map = L.map("job-map", { zoomSnap: 0.25 });
  if (layer) layer.remove();
  layer = L.geoJSON(data, {
    style: (f) => ({
      color: "#333", weight: 0.8, fillOpacity: 0.7,
      fillColor: classColor(f.properties.class, excluded(f.properties)),
    }),
    onEachFeature: (f, l) => {
      const p = f.properties;
      const cls = excluded(p) ? t("class.excluded") : (lang() === "en" ? p.class_en || p.class : p.class);
      l.bindTooltip(`${esc(p.parcel_id)} · ${esc(num(p.score, 1))} (${esc(cls || "—")})`);
    },
  }).addTo(map);
  document.getElementById("job-map-legend").innerHTML = legendHtml();
  map.invalidateSize();
  if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  box.dataset.job = id;
  box.dataset.count = String(layer.getLayers().length);
  box.dataset.state = "shown";
  box.scrollIntoView({ block: "nearest" });
}
