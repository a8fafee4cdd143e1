// The dashboard: the zone as a whole (TD/T 1029 indicators, progress toward the plan's 表6-1),
// the 亩均效益 evaluation (classes, the trend over years, the D list, the ranking, the map coloured
// by class) and the supervision cases. The evaluation and the zone report need a signed-in user;
// the supervision list says "not available" when the server has no /supervision endpoint (404).

import { ApiError, get } from "./api.js";
import { initAuth, onUserChange, openLogin } from "./auth.js";
import { initI18n, lang, onLangChange, pick, setLang, t } from "./i18n.js";
import { downloadPdf } from "./pdf_button.js";
import { esc, num, toastError, unitText } from "./ui.js";
import { CLASS_COLORS } from "./eval_classes.js";
import { tableImport } from "./table_import.js";

const CLASSES = ["A", "B", "C", "D", "T"];
/** Catalogue ids of the units the dashboard shows beyond those of ui.js. */
const UNIT_KEYS = {
  亿元: "dash.unit.yi", 家: "dash.unit.firms", "万元/人": "dash.unit.wan_per_person",
  "万元/吨标准煤": "dash.unit.wan_per_tce", "万元/吨": "dash.unit.wan_per_t",
  "万元/万千瓦时": "dash.unit.wan_per_10k_kwh",
};

const state = { year: null, years: [], evaluation: null, report: null, trend: null, supervision: null, parcels: null };
let classChart = null;
let trendChart = null;
let map = null;
let parcelLayer = null;

function unit(u) {
  return UNIT_KEYS[u] ? t(UNIT_KEYS[u]) : unitText(u);
}

function cell(x, nd = 2) {
  return x === null || x === undefined ? "—" : num(x, nd);
}

/** Load what the page shows for the chosen year (the years come with the evaluation). */
async function load() {
  const access = document.getElementById("dash-access");
  access.innerHTML = "";
  state.evaluation = state.report = state.trend = null;
  try {
    const trend = await get("/evaluation/trend");
    state.trend = trend.years;
    state.years = trend.years.map((y) => y.year);
    if (!state.years.includes(state.year)) state.year = state.years.length ? state.years[state.years.length - 1] : null;
    if (state.year !== null) {
      [state.evaluation, state.report] = await Promise.all([
        get("/evaluation", { params: { year: state.year } }),
        get("/zone-report", { params: { year: state.year } }),
      ]);
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      access.innerHTML = `${esc(t("dash.need_login"))} <a href="#" id="dash-login">${esc(t("auth.login"))}</a>`;
      access.querySelector("#dash-login").addEventListener("click", (e) => { e.preventDefault(); openLogin(); });
    } else {
      toastError(err);
    }
  }
  await loadSupervision();
  render();
}

/** Read today's supervision cases; null when the server has none to give (404: not deployed). */
async function loadSupervision() {
  const today = new Date().toISOString().slice(0, 10);
  try {
    state.supervision = await get("/supervision", { params: { as_of: today } });
  } catch (err) {
    state.supervision = err instanceof ApiError && err.status === 404 ? "missing" : { error: err };
  }
}

function renderYears() {
  document.getElementById("dash-eval-pdf").disabled = !state.evaluation;
  const sel = document.getElementById("dash-year");
  sel.innerHTML = state.years.map((y) => `<option value="${y}" ${y === state.year ? "selected" : ""}>${y}</option>`).join("");
  sel.disabled = !state.years.length;
}

function renderProgress() {
  const el = document.getElementById("dash-progress");
  const rep = state.report;
  if (!rep) { el.innerHTML = `<div class="text-muted small">${esc(t("dash.no_data"))}</div>`; return; }
  const rows = rep.progress.map((p) => {
    const share = p.share_of_target;
    const bar = share === null || share === undefined ? "" : `<div class="progress dash-progress" title="${num(share * 100, 1)}%">
      <div class="progress-bar ${p.met ? "bg-success" : "bg-warning"}" style="width:${Math.min(100, share * 100)}%"></div></div>`;
    return `<tr data-progress="${esc(p.id)}"><td>${esc(pick(p))}</td><td class="text-end">${cell(p.baseline)}</td>
      <td class="text-end fw-bold">${cell(p.current)}</td><td class="text-end">${p.target === null ? "—" : `≥ ${num(p.target)}`}</td>
      <td class="small text-muted">${esc(unit(p.unit))}</td><td class="dash-bar-cell">${bar}</td></tr>`;
  }).join("");
  el.innerHTML = `<table class="table table-sm small mb-1"><thead><tr><th>${esc(t("dash.col.indicator"))}</th>
    <th class="text-end">${esc(t("dash.col.baseline", { year: rep.baseline_year }))}</th>
    <th class="text-end">${esc(t("dash.col.current", { year: rep.year }))}</th>
    <th class="text-end">${esc(t("dash.col.target", { year: rep.targets_year }))}</th><th>${esc(t("dash.col.unit"))}</th>
    <th>${esc(t("dash.col.progress"))}</th></tr></thead><tbody>${rows}</tbody></table>
    <div class="small text-muted">${esc(t("dash.progress_note"))}</div>`;
}

function renderZone() {
  const el = document.getElementById("dash-zone");
  const rep = state.report;
  if (!rep) { el.innerHTML = `<div class="text-muted small">${esc(t("dash.no_data"))}</div>`; return; }
  const areas = rep.areas;
  const head = areas.map((a) => `<th class="text-end">${esc(a.id === "zone" ? t("dash.whole_zone") : pick(a))}</th>`).join("");
  const rows = areas[0].indicators.map((ind, i) => {
    const cells = areas.map((a) => {
      const v = a.indicators[i];
      return v.value === null
        ? `<td class="text-end text-muted" title="${esc(v.no_data || "")}">${esc(t("dash.none"))}</td>`
        : `<td class="text-end">${num(v.value)}</td>`;
    }).join("");
    return `<tr data-indicator="${esc(ind.id)}"><td>${esc(pick(ind))} <span class="text-muted small">${esc(unit(ind.unit))}</span></td>${cells}</tr>`;
  }).join("");
  const reasons = [...new Set(areas.at(-1).indicators.filter((v) => v.value === null).map((v) => v.no_data))];
  el.innerHTML = `<table class="table table-sm small mb-1"><thead><tr><th>${esc(t("dash.col.indicator"))}</th>${head}</tr></thead>
    <tbody>${rows}</tbody></table>
    <ul class="small text-muted mb-0 ps-3">${reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>`;
}

function className(id) {
  const c = state.evaluation && state.evaluation.method.classes.find((x) => x.id === id);
  return c ? `${id} ${pick(c)}` : id === "T" ? t("dash.class_t") : id;
}

function renderClasses() {
  const canvas = document.getElementById("dash-class-chart");
  const ev = state.evaluation;
  const counts = ev ? ev.method.class_counts : {};
  if (classChart) classChart.destroy();
  classChart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: CLASSES,
      datasets: [{ label: t("dash.count"), data: CLASSES.map((c) => counts[c] || 0), backgroundColor: CLASSES.map((c) => CLASS_COLORS[c]) }],
    },
    options: {
      animation: false, maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => className(CLASSES[items[0].dataIndex]) } } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  document.getElementById("dash-legend").innerHTML = CLASSES.map((c) => `<span class="me-2 text-nowrap">
    <span class="dash-swatch" style="background:${CLASS_COLORS[c]}"></span>${esc(className(c))}</span>`).join("")
    + `<span class="text-nowrap"><span class="dash-swatch" style="background:#cccccc"></span>${esc(t("dash.no_figures"))}</span>`;
  const method = document.getElementById("dash-method");
  const bands = ev ? ev.method.classes.map((c, i, all) => (i === all.length - 1
    ? t("dash.band_rest", { id: c.id }) : t("dash.band", { id: c.id, upto: num(c.upto * 100, 0) }))).join(" · ") : "";
  method.textContent = ev ? t("dash.method_note", { n: ev.enterprises.filter((e) => e.scope !== "out").length, bands }) : "";
}

function renderTrend() {
  const canvas = document.getElementById("dash-trend-chart");
  const years = state.trend || [];
  if (trendChart) trendChart.destroy();
  trendChart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: years.map((y) => String(y.year)),
      datasets: CLASSES.map((c) => ({ label: c, data: years.map((y) => y.counts[c] || 0), backgroundColor: CLASS_COLORS[c] })),
    },
    options: {
      animation: false, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

const GROUP_KEYS = { above: "dash.group.above", below: "dash.group.below", out: "dash.group.out" };
const RULE_KEYS = {
  idle_not_started: "dash.rule.idle_not_started", idle_takeback: "dash.rule.idle_takeback",
  idle_stalled: "dash.rule.idle_stalled", not_completed: "dash.rule.not_completed",
  not_producing: "dash.rule.not_producing", under_committed: "dash.rule.under_committed",
};

/** The supervision actions (zone file ids) and their texts (web.po, shared with the supervision page). */
const ACTION_KEYS = {
  idle_fee: "supervision.action.idle_fee", takeback: "supervision.action.takeback",
  resume_development: "supervision.action.resume_development", clearance_list: "supervision.action.clearance_list",
  clearance: "supervision.action.clearance", cancel_incentives: "supervision.action.cancel_incentives",
};

function groupName(scope) {
  return GROUP_KEYS[scope] ? t(GROUP_KEYS[scope]) : scope;
}

function ruleName(rule) {
  return RULE_KEYS[rule] ? t(RULE_KEYS[rule]) : rule;
}

function renderLists() {
  const ev = state.evaluation;
  const dEl = document.getElementById("dash-d-list");
  const rEl = document.getElementById("dash-ranking");
  if (!ev) { dEl.innerHTML = rEl.innerHTML = `<div class="text-muted small">${esc(t("dash.no_data"))}</div>`; return; }
  const d = ev.enterprises.filter((e) => e.class === "D");
  const policy = ev.method.classes.find((c) => c.id === "D");
  dEl.innerHTML = d.length
    ? `<table class="table table-sm small mb-1"><tbody>${d.map((e) => `<tr data-d="${esc(e.name)}"><td>${esc(e.name)}</td>
        <td>${esc(groupName(e.scope))}</td><td class="text-end">${num(e.score)}</td></tr>`).join("")}</tbody></table>`
    : `<div class="small text-muted" id="dash-d-empty">${esc(t("dash.d_none"))}</div>`;
  if (policy) dEl.innerHTML += `<div class="small mt-1"><b>${esc(t("dash.d_policy"))}</b> ${esc(pick(policy, "policy"))}</div>`;
  const rows = ev.enterprises.filter((e) => e.scope !== "out").map((e) => `<tr data-enterprise="${esc(e.name)}">
    <td class="text-end">${e.rank ?? "—"}</td><td>${esc(e.name)}</td><td>${esc(groupName(e.scope))}</td>
    <td class="text-end">${num(e.score)}</td>
    <td><span class="badge" style="background:${CLASS_COLORS[e.class] || "#999"}">${esc(e.class || "")}</span></td></tr>`).join("");
  rEl.innerHTML = `<table class="table table-sm small mb-0"><thead><tr><th class="text-end">${esc(t("dash.col.rank"))}</th>
    <th>${esc(t("dash.col.enterprise"))}</th><th>${esc(t("dash.col.group"))}</th><th class="text-end">${esc(t("dash.col.score"))}</th>
    <th>${esc(t("dash.col.class"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function renderMap() {
  if (!map) {
    map = L.map("dash-map", { minZoom: 3, maxZoom: 19, zoomControl: true });
    map.attributionControl.setPrefix(false);
    map.setView([36.9, 111.3], 12);
  }
  if (parcelLayer) { parcelLayer.remove(); parcelLayer = null; }
  const ev = state.evaluation;
  if (!ev) return;
  if (!state.parcels) state.parcels = await get("/parcels", { params: { status: "existing", limit: 5000 } });
  const byParcel = {};
  for (const e of ev.enterprises) for (const p of e.parcel_ids || []) byParcel[p] = e;
  parcelLayer = L.geoJSON(state.parcels, {
    style: (f) => {
      const e = byParcel[f.id ?? f.properties.parcel_id];
      const color = e && e.class ? CLASS_COLORS[e.class] : "#cccccc";
      return { color: "#555", weight: 0.6, fillColor: color, fillOpacity: e ? 0.85 : 0.3 };
    },
    onEachFeature: (f, layer) => {
      const e = byParcel[f.id ?? f.properties.parcel_id];
      const text = e ? `${e.name} · ${className(e.class || "")} · ${num(e.score)}` : (f.id ?? "");
      layer.bindTooltip(esc(text));
    },
  }).addTo(map);
  const b = parcelLayer.getBounds();
  if (b.isValid()) map.fitBounds(b, { animate: false, padding: [8, 8] });
}

function renderSupervision() {
  const el = document.getElementById("dash-supervision");
  const s = state.supervision;
  if (s === "missing") {
    el.innerHTML = `<div class="text-muted small" id="dash-supervision-missing">${esc(t("dash.supervision_missing"))}</div>`;
    return;
  }
  if (!s || s.error) {
    el.innerHTML = `<div class="text-muted small">${esc(s && s.error && s.error.status === 401 ? t("dash.need_login") : t("dash.no_data"))}</div>`;
    return;
  }
  const cases = s.cases || [];
  if (!cases.length) { el.innerHTML = `<div class="small">${esc(t("dash.supervision_none", { date: s.as_of }))}</div>`; return; }
  el.innerHTML = `<table class="table table-sm small mb-0"><thead><tr><th>${esc(t("dash.col.enterprise"))}</th>
    <th>${esc(t("dash.col.parcels"))}</th><th>${esc(t("dash.col.rule"))}</th><th>${esc(t("dash.col.since"))}</th>
    <th class="text-end">${esc(t("dash.col.overdue"))}</th><th>${esc(t("dash.col.action"))}</th>
    <th class="text-end">${esc(t("dash.col.fee"))}</th><th>${esc(t("dash.col.deadline"))}</th></tr></thead><tbody>${
    cases.map((c) => `<tr data-case="${esc(c.rule)}"><td>${esc(c.enterprise)}</td><td>${esc((c.parcel_ids || []).join(", "))}</td>
      <td>${esc(ruleName(c.rule))}</td><td>${esc(c.since || "")}</td><td class="text-end">${cell(c.days_overdue, 0)}</td>
      <td>${esc(ACTION_KEYS[c.action] ? t(ACTION_KEYS[c.action]) : c.action || "")}</td><td class="text-end">${cell(c.fee_wan)}</td><td>${esc(c.next_deadline || "")}</td></tr>`).join("")
  }</tbody></table>`;
}

function render() {
  renderYears();
  const ill = (state.evaluation && state.evaluation.illustrative) || (state.report && state.report.illustrative);
  document.getElementById("dash-illustrative").classList.toggle("d-none", !ill);
  renderProgress();
  renderZone();
  renderClasses();
  renderTrend();
  renderLists();
  renderSupervision();
  renderMap().catch((err) => toastError(err));
  // what is on screen, for tests and scripts: the year and the language it was drawn in
  const main = document.getElementById("dash-main");
  main.dataset.year = state.year ?? "";
  main.dataset.lang = lang();
}

async function main() {
  await initI18n();
  document.getElementById("lang-btn").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh").catch((err) => toastError(err)); });
  await initAuth();
  document.getElementById("dash-year").addEventListener("change", (e) => {
    state.year = Number(e.target.value);
    load().catch((err) => toastError(err));
  });
  document.getElementById("dash-eval-pdf").addEventListener("click", (e) => {
    downloadPdf(e.currentTarget, `/reports/evaluation/${state.year}.pdf`, {}, `evaluation-${state.year}.pdf`);
  });
  onUserChange(() => { load().catch((err) => toastError(err)); });
  // indicator notes and supervision texts come from the API in the language asked for
  onLangChange(() => { load().catch((err) => toastError(err)); });
  // managers import a year's figures here (checked first, then all or nothing): show that year
  const figures = tableImport(document.getElementById("figures-import"), "figures", {
    onImported: (a) => { state.year = a.year; load().catch((err) => toastError(err)); },
    defaultYear: () => (state.years.length ? state.years[state.years.length - 1] + 1 : new Date().getFullYear() - 1),
  });
  await load();
  window.parksiteDashboard = { state: () => state, reload: load, figures };
  document.body.dataset.ready = "1";
}

main().catch((err) => toastError(err));
