// The parcel panel: a clicked parcel's facts, its score breakdown (Chart.js bars of each
// criterion's contribution), exclusion reasons, slope and earthwork, distances and 标准地 sheet.

import { admittedOf } from "./admitted.js";
import { download, get } from "./api.js";
import { supervisedOf } from "./supervised.js";
import { lang, pick, t, tOr } from "./i18n.js";
import { areaText, esc, num, pct, saveBlob, toastError, unitText } from "./ui.js";
import { branchName, classColor, clusterName, parkName } from "./zone.js";

let chart = null;
let current = null; // the parcel Feature shown

/** The parcel Feature shown in the panel (or null). */
export function shownParcel() {
  return current;
}

/** Measure groups shown in the panel: [group key, [[measure, unit, digits | "pct" | "text"]]]. */
const MEASURE_GROUPS = [
  ["slope", [
    ["slope_mean_deg", "°", 1], ["slope_max_deg", "°", 1], ["slope_p90_deg", "°", 1],
    ["slope_mean_pct", "%", 1], ["slope_over_limit_share", "", "pct"],
  ]],
  ["earthwork", [
    ["earthwork_lim_cut_m3", "m³", 0], ["earthwork_lim_fill_m3", "m³", 0],
    ["earthwork_lim_m3_per_mu", "m³/亩", 0],
    ["earthwork_fit_cut_m3", "m³", 0], ["earthwork_fit_fill_m3", "m³", 0],
  ]],
  ["access", [
    ["power_dist_m", "m", 0], ["power_substation", "", "text"], ["power_voltage_kv", "kV", 0],
    ["water_dist_m", "m", 0], ["water_source", "", "text"],
    ["wastewater_dist_m", "m", 0], ["wastewater_plant", "", "text"],
    ["road_dist_m", "m", 0], ["net_dist_m_gate", "m", 0], ["net_dist_m_s224", "m", 0],
    ["net_dist_m_county_seat", "m", 0],
    ["river_share", "", "pct"], ["river_name", "", "text"], ["outside_park_share", "", "pct"],
  ]],
];

function measureValue(v, unit, fmt) {
  if (v === null || v === undefined || v === "") return null;
  if (fmt === "text") return String(v);
  if (fmt === "pct") return pct(v, 0);
  return `${num(v, fmt)}${unit ? ` ${unitText(unit)}` : ""}`;
}

function measuresHtml(measures) {
  if (!measures) return "";
  return MEASURE_GROUPS.map(([group, items]) => {
    const rows = items
      .map(([key, unit, fmt]) => [key, measureValue(measures[key], unit, fmt)])
      .filter(([, v]) => v !== null)
      .map(([key, v]) => `<tr><th>${esc(tOr(`measure.${key}`, key))}</th><td class="text-end" data-measure="${key}">${esc(v)}</td></tr>`);
    if (!rows.length) return "";
    return `<h6 class="panel-h">${esc(t(`panel.${group}`))}</h6>
      <table class="table table-sm measures">${rows.join("")}</table>`;
  }).join("");
}

/** The breakdown's last row: the score scaled by the buildable share (net ÷ gross area), when
 * part of the parcel is constrained. */
function landFactorRow(p) {
  const f = p.land_factor;
  if (typeof f !== "number" || f >= 1) return "";
  return `<tr class="land-factor-row"><td>${esc(t("breakdown.land_factor"))}</td><td class="text-end">${esc(num(100 * f, 1))} %</td>
    <td class="text-end">× ${esc(num(f, 3))}</td><td></td><td class="text-end">−${esc(num(p.land_deduction, 1))}</td></tr>`;
}

/** The constrained parts of a parcel that is not excluded (river control line, steep land, outside
 * the parks): named with their shares, and what they took off the score. */
function partialHtml(p) {
  const m = p.measures || {};
  const f = p.land_factor;
  if (p.excluded || typeof f !== "number" || f >= 1) return "";
  const pct = (x) => num(100 * x, 1);
  const mu = (x) => num(x * (p.area_mu || 0), 2);
  const parts = [];
  if (m.river_share > 0) parts.push(t("panel.part_river", { name: m.river_name || "", pct: pct(m.river_share), mu: mu(m.river_share) }));
  if (m.outside_park_share > 0) parts.push(t("panel.part_outside", { pct: pct(m.outside_park_share), mu: mu(m.outside_park_share) }));
  const steep = 1 - f - (m.river_share || 0) - (m.outside_park_share || 0);
  if (steep > 0.0005) parts.push(t("panel.part_steep", { pct: pct(steep), mu: mu(steep) }));
  return `<div class="alert alert-warning py-1 px-2 small mb-2" id="parcel-partial">${esc(t("panel.partial", {
    parts: parts.join(t("common.list_sep")), pct: pct(f), points: num(p.land_deduction, 1),
  }))}</div>`;
}

function breakdownTable(breakdown, p = {}) {
  return `<table class="table table-sm breakdown-table"><thead><tr>
    <th>${esc(t("breakdown.criterion"))}</th><th class="text-end">${esc(t("breakdown.raw"))}</th>
    <th class="text-end">${esc(t("breakdown.value"))}</th><th class="text-end">${esc(t("breakdown.weight"))}</th>
    <th class="text-end">${esc(t("breakdown.contribution"))}</th></tr></thead><tbody>${breakdown.map((b) => `<tr>
      <td>${esc(pick(b))}</td>
      <td class="text-end">${esc(typeof b.raw === "number" ? num(b.raw, 1) : b.raw ?? "—")} ${esc(unitText(b.unit))}</td>
      <td class="text-end">${esc(num(b.value, 2))}</td><td class="text-end">${esc(num(b.weight, 3))}</td>
      <td class="text-end">${esc(num(b.contribution, 1))}</td></tr>`).join("")}${landFactorRow(p)}</tbody></table>`;
}

/** Split a chart label into lines of about `width` characters (at spaces; Chinese anywhere), so
 * that long criterion names are shown whole beside their bars, not cut off. */
export function wrapLabel(label, width = lang() === "en" ? 20 : 10) {
  const s = String(label);
  if (s.length <= width) return s;
  const lines = [];
  if (/\s/.test(s)) {
    let line = "";
    for (const word of s.split(/\s+/)) {
      if (line && (line.length + 1 + word.length) > width) { lines.push(line); line = word; }
      else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
  } else {
    for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  }
  return lines;
}

/** Height of the breakdown chart for `n` bars whose labels take `lines` lines in all (px). */
function chartHeight(n, lines) {
  return Math.max(180, 40 + 14 * lines + 8 * n);
}

function drawChart(canvas, breakdown) {
  if (chart) { chart.destroy(); chart = null; }
  if (!canvas || !window.Chart || !breakdown.length) return;
  const labels = breakdown.map((b) => wrapLabel(pick(b)));
  const lines = labels.reduce((a, l) => a + (Array.isArray(l) ? l.length : 1), 0);
  canvas.parentElement.style.height = `${chartHeight(breakdown.length, lines)}px`;
  const colors = breakdown.map((b) => {
    const v = Number(b.value);
    if (v >= 0.8) return "#1a9641";
    if (v >= 0.5) return "#a6d96a";
    if (v >= 0.25) return "#fdae61";
    return "#d7191c";
  });
  chart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [{
        label: t("breakdown.contribution"), data: breakdown.map((b) => Number(b.contribution) || 0),
        backgroundColor: colors, borderColor: "#444", borderWidth: 0.5,
      }],
    },
    options: {
      indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const b = breakdown[ctx.dataIndex];
              return `${t("breakdown.contribution")} ${num(b.contribution, 1)} = ${num(b.weight, 3)} × ${num(b.value, 2)}`
                + ` (${num(b.raw, 1)} ${unitText(b.unit)})`;
            },
          },
        },
      },
      scales: {
        x: { beginAtZero: true, title: { display: true, text: t("breakdown.axis") } },
        y: { ticks: { autoSkip: false } },
      },
    },
  });
}

function standardLandHtml(sheet, p) {
  if (!sheet) {
    return `<p class="text-muted small" id="standard-land-none">${esc(t("standard.none", { status: t(`status_parcel.${p.status}`) }))}</p>`;
  }
  const rows = (sheet.industries || []).map((r) => `<tr>
    <td>${esc(lang() === "en" ? r.industry_en || r.industry : r.industry)}${
      r.branches && r.branches.length ? `<div class="small text-muted">${esc(r.branches.map(branchName).join(t("common.list_sep")))}</div>` : ""}${
      r.reference ? `<div class="small text-warning">${esc(t("standard.reference"))}</div>` : ""}${
      r.review ? `<div class="small text-warning">${esc(t("standard.review"))}</div>` : ""}</td>
    <td class="text-end">≥ ${esc(num(r.investment_intensity_wan_per_mu, 0))}<div class="small text-muted">${
      r.min_investment_wan != null ? esc(t("standard.min_total", { v: num(r.min_investment_wan, 0) })) : ""}</div></td>
    <td class="text-end">≥ ${esc(num(r.output_intensity_wan_per_mu, 0))}<div class="small text-muted">${
      r.min_output_wan != null ? esc(t("standard.min_total_output", { v: num(r.min_output_wan, 0) })) : ""}</div></td>
    <td class="text-center">${r.online_monitoring_required ? "✔" : r.online_monitoring_required === false ? "—" : "?"}</td>
    <td class="text-end">${esc(r.waste_treatment_pct_min != null ? `${num(r.waste_treatment_pct_min, 0)} %` : "—")}</td>
  </tr>`).join("");
  const lc = sheet.land_controls;
  const controls = lc ? `<ul class="small mb-1">
      <li>${esc(t("standard.building_coefficient"))} ≥ ${esc(num(lc.building_coefficient_min_pct, 0))} %</li>
      <li>${esc(t("standard.admin_living"))} ≤ ${esc(num(lc.admin_living_max_pct, 0))} %</li>
      <li>${esc(t("standard.green_ratio"))} ≤ ${esc(num(lc.green_ratio_max_pct, 0))} %</li></ul>` : "";
  const notes = (sheet.notes || []).map((n) => `<li>${esc(n)}</li>`).join("");
  return `<div id="standard-land">
    <div class="small mb-1">${esc(t("standard.intro", { cluster: sheet.cluster_name || clusterName(sheet.cluster), mu: num(sheet.area_mu, 2) }))}</div>
    <table class="table table-sm standard-table"><thead><tr>
      <th>${esc(t("standard.industry"))}</th>
      <th class="text-end">${esc(t("standard.investment"))}<div class="small fw-normal">${esc(t("standard.per_mu"))}</div></th>
      <th class="text-end">${esc(t("standard.output"))}<div class="small fw-normal">${esc(t("standard.per_mu"))}</div></th>
      <th class="text-center">${esc(t("standard.monitoring"))}</th>
      <th class="text-end">${esc(t("standard.waste"))}</th></tr></thead>
      <tbody>${rows}</tbody></table>${controls}${notes ? `<ul class="small text-muted">${notes}</ul>` : ""}</div>`;
}

/** Render a parcel Feature (GET /parcels/{id}) into the panel element `root`. */
export function renderParcel(root, feature) {
  current = feature;
  const p = feature.properties || {};
  const breakdown = p.breakdown || [];
  const reasons = (lang() === "en" ? p.reasons_en : p.reasons) || p.reasons || [];
  const klass = p.excluded ? t("class.excluded") : (lang() === "en" ? p.class_en || p.class : p.class);
  root.innerHTML = `<div class="parcel-head d-flex align-items-center gap-2">
      <h5 class="mb-0" id="parcel-title">${esc(p.parcel_id)}</h5>
      <span class="badge class-badge" style="background:${classColor(p.class, p.excluded)}">${esc(klass || "—")}</span>
      <span class="ms-auto fs-5" id="parcel-score" title="${esc(t("parcel.score"))}">${esc(num(p.score, 1))}</span>
    </div>
    <table class="table table-sm mt-2 parcel-facts">
      <tr><th>${esc(t("parcel.area"))}</th><td id="parcel-area">${esc(areaText(p.area_m2, p.area_mu))}</td></tr>
      <tr><th>${esc(t("parcel.park"))}</th><td>${esc(parkName(p.park))}</td></tr>
      <tr><th>${esc(t("parcel.cluster"))}</th><td id="parcel-cluster">${esc(clusterName(p.cluster))}</td></tr>
      <tr><th>${esc(t("parcel.status"))}</th><td>${esc(t(`status_parcel.${p.status}`))}${admittedHtml(p.parcel_id)}${supervisedHtml(p.parcel_id)}</td></tr>
      <tr><th>${esc(t("parcel.enterprise"))}</th><td>${esc(p.enterprise || "—")}</td></tr>
      <tr><th>${esc(t("parcel.score"))}</th><td>${esc(num(p.score, 1))} (${esc(klass || "—")})${
        p.score_stale ? ` <span class="badge text-bg-warning">${esc(t("parcel.score_stale"))}</span>` : ""}</td></tr>
    </table>
    <h6 class="panel-h">${esc(t("panel.breakdown"))}</h6>
    <div class="chart-box"><canvas id="breakdown-chart" aria-label="${esc(t("panel.breakdown"))}"></canvas></div>
    <details class="small mb-2"><summary>${esc(t("breakdown.table"))}</summary>${breakdownTable(breakdown, p)}</details>
    <h6 class="panel-h">${esc(t("panel.exclusions"))}</h6>
    ${partialHtml(p)}<div id="parcel-reasons">${reasons.length
      ? `<ul class="text-danger small">${reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>`
      : `<p class="small text-muted">${esc(t("panel.no_exclusions"))}</p>`}</div>
    ${measuresHtml(p.measures)}
    <h6 class="panel-h">${esc(t("panel.standard_land"))}</h6>
    ${standardLandHtml(p.standard_land, p)}
    <div class="d-grid mt-2 mb-3"><button type="button" class="btn btn-outline-primary btn-sm" id="parcel-report">${
      esc(t("panel.report_pdf"))}</button></div>`;
  drawChart(root.querySelector("#breakdown-chart"), breakdown);
  root.querySelector("#parcel-report").addEventListener("click", (ev) => downloadReport(ev.currentTarget, p.parcel_id));
}

/** Download the parcel's 地块选址报告 (GET /reports/parcels/{id}, a PDF in the page's language). */
async function downloadReport(button, parcelId) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t("panel.report_making");
  try {
    const { blob, filename } = await download(`/reports/parcels/${encodeURIComponent(parcelId)}`, { lang: lang() });
    saveBlob(blob, filename || `parcel-${parcelId}.pdf`);
  } catch (err) {
    toastError(err);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

/** Read parcel `id` from the API and render it; returns the Feature. */
/** The 已准入 line of a parcel taken by an admitted project (its name), or "". */
function admittedHtml(parcelId) {
  const adm = admittedOf(parcelId);
  return adm ? ` <span class="badge parcel-admitted-badge" id="parcel-admitted">${esc(t("project_status.admitted"))} · ${esc(adm.name)}</span>` : "";
}

/** The 供后监管 line of a parcel with a supervision case today (its status and enterprise), or "". */
function supervisedHtml(parcelId) {
  const c = supervisedOf(parcelId);
  if (!c) return "";
  const root = (document.body.dataset.static || "/static").replace(/\/static$/, "");
  return ` <a class="badge text-bg-${c.idle ? "danger" : "warning"} text-decoration-none" id="parcel-supervised" href="${root}/supervision">${
    esc(t("parcel.supervision"))} · ${esc(t(`supervision.status.${c.status}`))} · ${esc(c.enterprise)}</a>`;
}

export async function showParcel(root, id) {
  root.innerHTML = `<div class="text-muted p-2">${esc(t("panel.loading"))}</div>`;
  const f = await get(`/parcels/${encodeURIComponent(id)}`, { params: { lang: lang() } });
  renderParcel(root, f);
  return f;
}
