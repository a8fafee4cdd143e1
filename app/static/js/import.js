// The import page: an admin uploads the zone's own files (DXF, Shapefile, GeoJSON, GeoPackage,
// 三调 DLTB, XLSX/CSV, DEM tiles) with a field mapping, reads the dry-run report — problems drawn
// on the map — edits the mapping and runs it again, then imports (all or nothing).

import { request } from "./api.js";
import { hasRole, initAuth, onUserChange, openLogin } from "./auth.js";
import { fieldChoices, markFieldTableStale, renderFieldTable } from "./import_fields.js";
import { initI18n, lang, onLangChange, setLang, t } from "./i18n.js";
import { esc, toast, toastError } from "./ui.js";

const KIND_COLOR = {
  overlap: "#d63384", gap: "#fd7e14", outside_park: "#dc3545", sliver: "#6f42c1", repair: "#0d6efd",
  dxf_unlabelled: "#dc3545", dxf_ambiguous: "#dc3545",
};
const LEVEL_ICON = { error: "fa-circle-xmark", warning: "fa-triangle-exclamation", info: "fa-circle-info" };

let map = null;
let outlines = null;
let problems = null;
let last = null; // the API's last answer: {upload_id, files, mapping, report, layers}
const placed = new Map(); // report item index → Leaflet layer

function initMap() {
  map = L.map("import-map", { minZoom: 3, maxZoom: 20, zoomControl: true });
  map.attributionControl.setPrefix(false);
  map.setView([37.3, 111.8], 8);
  outlines = L.layerGroup().addTo(map);
  problems = L.layerGroup().addTo(map);
}

/** The form's parameters: the mapping as edited, CRS, encoding, DEM resolution; with
 * `withChoices`, the field table's changed choices too (the server writes them into the mapping). */
function params(withChoices = false) {
  const form = new FormData();
  const choices = withChoices ? fieldChoices(document.getElementById("import-fields")) : null;
  if (choices) form.append("choices", JSON.stringify(choices));
  const mapping = document.getElementById("import-mapping").value;
  if (mapping.trim()) form.append("mapping", mapping);
  for (const [id, name] of [["import-crs", "crs"], ["import-encoding", "encoding"], ["import-resolution", "dem_resolution"]]) {
    const v = document.getElementById(id).value.trim();
    if (v) form.append(name, v);
  }
  return form;
}

function setStatus(text, kind = "") {
  const el = document.getElementById("import-status");
  el.textContent = text;
  el.className = `small mt-2 ${kind === "error" ? "text-danger" : kind === "ok" ? "text-success" : "text-muted"}`;
}

function drawOutlines(layers) {
  map.closePopup();
  outlines.clearLayers();
  const style = {
    parks: { color: "#198754", weight: 2, fill: false },
    clusters: { color: "#20c997", weight: 1, dashArray: "4 4", fill: false },
    parcels: { color: "#6c757d", weight: 1, fillOpacity: 0.08 },
  };
  const bounds = [];
  for (const name of ["parks", "clusters", "parcels"]) {
    if (!layers || !layers[name]) continue;
    const layer = L.geoJSON(layers[name], {
      style: style[name],
      onEachFeature: (f, l) => f.properties.id && l.bindTooltip(esc(f.properties.id), { sticky: true }),
    }).addTo(outlines);
    if (layer.getBounds().isValid()) bounds.push(layer.getBounds());
  }
  return bounds;
}

function drawProblems(report) {
  map.closePopup(); // a popup left open on a removed layer breaks Leaflet's next zoom
  problems.clearLayers();
  placed.clear();
  const bounds = [];
  report.problems.features.forEach((feature) => {
    const i = feature.properties.item;
    const item = report.items[i];
    const color = KIND_COLOR[item.kind] || "#dc3545";
    const layer = L.geoJSON(feature, { style: { color, weight: 3, fillColor: color, fillOpacity: 0.35 } })
      .bindPopup(esc(item.text)).addTo(problems);
    placed.set(i, layer);
    if (layer.getBounds().isValid()) bounds.push(layer.getBounds());
  });
  return bounds;
}

function renderReport() {
  const summary = document.getElementById("import-summary");
  const box = document.getElementById("import-report");
  if (!last) { summary.innerHTML = ""; box.innerHTML = ""; return; }
  const r = last.report;
  const badge = r.ok
    ? `<span class="badge text-bg-success" id="import-verdict" data-ok="1">${esc(t("zoneimport.ok"))}</span>`
    : `<span class="badge text-bg-danger" id="import-verdict" data-ok="0">${esc(t("zoneimport.blocked", { n: r.errors }))}</span>`;
  const counts = Object.entries(r.counts).map(([k, v]) => `${esc(t(`layer.${k}`))} ${v}`).join(" · ");
  const errors = r.items.filter((item) => item.level === "error" && item.section !== "outcome");
  summary.innerHTML = `${badge} <span class="small ms-2">${esc(t("zoneimport.warnings", { n: r.warnings }))}</span>
    <div class="small text-muted mt-1">${counts}</div>
    ${errors.length ? `<ul class="small ps-1 mt-1 mb-0" id="import-errors">${errors.map((item) =>
      `<li><i class="fa-solid ${LEVEL_ICON.error} me-1"></i>${esc(item.text)}</li>`).join("")}</ul>` : ""}`;
  box.innerHTML = r.sections.map((s) => {
    const items = r.items.map((item, i) => [item, i]).filter(([item]) => item.section === s.section);
    return `<h6>${esc(s.title)}</h6><ul>${items.map(([item, i]) => `<li class="level-${item.level}${placed.has(i) ? " has-place" : ""}" data-item="${i}">
      <i class="fa-solid ${LEVEL_ICON[item.level]} me-1"></i>${esc(item.text)}</li>`).join("")}</ul>`;
  }).join("");
  box.querySelectorAll("li.has-place").forEach((li) => li.addEventListener("click", () => {
    const layer = placed.get(Number(li.dataset.item));
    map.fitBounds(layer.getBounds(), { maxZoom: 18, padding: [30, 30], animate: false });
    layer.openPopup(layer.getBounds().getCenter());
  }));
  document.getElementById("import-run-btn").disabled = !r.ok || !hasRole("admin");
  document.getElementById("import-rerun-btn").disabled = !hasRole("admin");
}

function show(answer) {
  last = answer;
  if (answer.mapping) document.getElementById("import-mapping").value = answer.mapping;
  renderFieldTable(document.getElementById("import-fields"), answer.fields || {});
  const bounds = [...drawOutlines(answer.layers), ...drawProblems(answer.report)];
  if (bounds.length) map.fitBounds(bounds.reduce((a, b) => a.extend(b)), { padding: [20, 20], animate: false });
  renderReport();
}

async function send(path, form, busyText) {
  const buttons = ["import-upload-btn", "import-rerun-btn", "import-run-btn"].map((id) => document.getElementById(id));
  buttons.forEach((b) => { b.disabled = true; });
  setStatus(busyText);
  try {
    const { data } = await request("POST", path, { form });
    show(data);
    return data;
  } finally {
    buttons[0].disabled = !hasRole("admin");
    if (last) renderReport();
  }
}

async function upload(ev) {
  ev.preventDefault();
  const input = document.getElementById("import-files");
  if (!input.files.length) { toast(t("zoneimport.pick_files"), "warn"); return; }
  const form = params();
  for (const f of input.files) form.append("files", f);
  try {
    const data = await send("/imports", form, t("zoneimport.checking"));
    setStatus(data.report.ok ? t("zoneimport.ready") : t("zoneimport.fix_first"), data.report.ok ? "ok" : "error");
  } catch (err) {
    setStatus("", "");
    toastError(err, t("zoneimport.failed"));
  }
}

async function rerun() {
  if (!last) return;
  try {
    const data = await send(`/imports/${encodeURIComponent(last.upload_id)}/dry-run`, params(true), t("zoneimport.checking"));
    setStatus(data.report.ok ? t("zoneimport.ready") : t("zoneimport.fix_first"), data.report.ok ? "ok" : "error");
  } catch (err) {
    toastError(err, t("zoneimport.failed"));
  }
}

async function runImport() {
  if (!last || !last.report.ok) return;
  const form = params();
  if (document.getElementById("import-replace").checked) form.append("replace", "true");
  try {
    const data = await send(`/imports/${encodeURIComponent(last.upload_id)}/import`, form, t("zoneimport.importing"));
    const done = data.imported;
    const counts = ["parks", "clusters", "parcels"].filter((k) => k in done.counts)
      .map((k) => `${t(`layer.${k}`)} ${done.counts[k]}`).join(lang() === "zh" ? "、" : ", ");
    setStatus(t("zoneimport.done", { zone: done.zone_id, counts }), "ok");
    document.getElementById("import-main").dataset.imported = done.zone_id;
    toast(t("zoneimport.done", { zone: done.zone_id, counts }), "ok");
  } catch (err) {
    setStatus(err.message, "error");
    toastError(err, t("zoneimport.failed"));
  }
}

function showChosen() {
  const input = document.getElementById("import-files");
  const el = document.getElementById("import-files-names");
  if (input.files.length) {
    delete el.dataset.i18n;
    el.textContent = t("zoneimport.n_files", { n: input.files.length });
    el.title = [...input.files].map((f) => f.name).join("\n");
  } else {
    el.dataset.i18n = "zoneimport.no_files";
    el.textContent = t("zoneimport.no_files");
  }
  el.classList.toggle("text-muted", !input.files.length);
}

function updateAccess() {
  const ok = hasRole("admin");
  document.getElementById("import-upload-btn").disabled = !ok;
  if (!ok) document.getElementById("import-run-btn").disabled = true;
  const note = document.getElementById("import-access");
  note.innerHTML = ok ? "" : `${esc(t("zoneimport.need_admin"))} <a href="#" id="import-login">${esc(t("auth.login"))}</a>`;
  note.querySelector("#import-login")?.addEventListener("click", (e) => { e.preventDefault(); openLogin(); });
}

async function main() {
  await initI18n();
  document.getElementById("lang-btn").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh").catch((err) => toastError(err)); });
  await initAuth();
  initMap();
  document.getElementById("import-form").addEventListener("submit", upload);
  document.getElementById("import-files").addEventListener("change", showChosen);
  document.getElementById("import-rerun-btn").addEventListener("click", rerun);
  document.getElementById("import-run-btn").addEventListener("click", runImport);
  onUserChange(updateAccess);
  // the report is written by the API in the language asked for: ask again after a switch
  onLangChange(() => { updateAccess(); showChosen(); if (last) rerun(); });
  // the table shows the mapping as last run: hand edits of the YAML take over until the next run
  document.getElementById("import-mapping").addEventListener("input", () => markFieldTableStale(document.getElementById("import-fields")));
  updateAccess();
  window.parksiteImport = { last: () => last };
  document.body.dataset.ready = "1";
}

main().catch((err) => toastError(err));
