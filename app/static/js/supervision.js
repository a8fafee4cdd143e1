// The supervision page (供后监管): the cases on a chosen date from GET /supervision, with each rule's
// name and source from GET /supervision/rules; illustrative sample contracts are labelled.

import { get } from "./api.js";
import { hasRole, initAuth, onUserChange, openLogin } from "./auth.js";
import { initI18n, lang, onLangChange, pick, setLang, t } from "./i18n.js";
import { downloadPdf } from "./pdf_button.js";
import { esc, num, toastError } from "./ui.js";
import { today } from "./supervised.js";
import { tableImport } from "./table_import.js";

const STATUS_CLASS = { idle: "danger", takeback: "dark", clearance_list: "warning", clearance: "danger", review: "info" };

let report = null; // {as_of, cases}
let rules = new Map(); // rule id → {name, name_en, source, …}
let illustrative = new Set(); // "enterprise|parcel;ids" of illustrative contracts
let rulesSource = "";

const key = (enterprise, ids) => `${enterprise}|${[...ids].sort().join(";")}`;

function ruleName(id) {
  const r = rules.get(id);
  return r ? pick(r) : id;
}

/** The main map centred on parcel `id`, with the 闲置/逾期地块 layer of the list's date. */
function mapUrl(id) {
  const root = (document.body.dataset.static || "/static").replace(/\/static$/, "");
  const q = new URLSearchParams({ layer: "supervision", as_of: report ? report.as_of : today(), parcel: id });
  return `${root}/?${q}`;
}

function rowHtml(c) {
  const fee = c.fee_wan == null ? "" : t("supervision.fee", { fee: num(c.fee_wan, 2) });
  const sample = illustrative.has(key(c.enterprise, c.parcel_ids))
    ? ` <span class="badge text-bg-warning illustrative-badge" title="${esc(t("supervision.illustrative"))}">${esc(t("supervision.illustrative_short"))}</span>` : "";
  const status = `<span class="badge text-bg-${STATUS_CLASS[c.status] || "secondary"}">${esc(t(`supervision.status.${c.status}`))}</span>`;
  return `<tr data-rule="${esc(c.rule)}" data-enterprise="${esc(c.enterprise)}">
    <td>${status} ${esc(ruleName(c.rule))}</td>
    <td>${esc(c.enterprise)}${sample}</td>
    <td class="text-nowrap">${c.parcel_ids.map((id) => `<a class="parcel-link" href="${esc(mapUrl(id))}" title="${
      esc(t("landmap.show_on_map"))}"><i class="fa-solid fa-map-location-dot"></i> ${esc(id)}</a>`).join(lang() === "zh" ? "、" : ", ")}</td>
    <td class="text-nowrap">${esc(c.since)}</td>
    <td class="text-end days-overdue">${esc(num(c.days_overdue, 0))}</td>
    <td>${esc(t(`supervision.action.${c.action}`))}${esc(fee)}</td>
    <td class="text-nowrap${c.next_deadline && report && c.next_deadline < report.as_of ? " text-danger fw-bold deadline-passed" : ""}">${
      esc(c.next_deadline || "—")}</td>
    <td class="small text-muted">${esc(c.source)}</td>
    <td><button type="button" class="btn btn-sm btn-outline-primary py-0 text-nowrap notice-pdf-btn" data-enterprise="${esc(c.enterprise)}">
      <i class="fa-solid fa-file-pdf"></i> ${esc(t("supervision.notice_pdf"))}</button></td>
  </tr>`;
}

function render() {
  const body = document.getElementById("supervision-body");
  const cases = report ? report.cases : [];
  body.innerHTML = cases.map(rowHtml).join("");
  body.querySelectorAll(".notice-pdf-btn").forEach((b) => b.addEventListener("click", () => {
    downloadPdf(b, "/reports/notices.pdf", { as_of: report.as_of, enterprise: b.dataset.enterprise }, `notices-${report.as_of}.pdf`);
  }));
  document.getElementById("supervision-notices-pdf").disabled = !cases.length;
  document.getElementById("supervision-count").textContent = report ? t("supervision.count", { n: cases.length }) : "";
  document.getElementById("supervision-empty").textContent =
    report && !cases.length ? t("supervision.none", { as_of: report.as_of }) : "";
  document.getElementById("supervision-illustrative").classList.toggle(
    "d-none", !cases.some((c) => illustrative.has(key(c.enterprise, c.parcel_ids))));
  document.getElementById("supervision-rules-source").textContent =
    rulesSource ? t("supervision.rules_source", { source: rulesSource }) : "";
  const ok = hasRole("viewer");
  const note = document.getElementById("supervision-access");
  note.innerHTML = ok ? "" : `${esc(t("supervision.login"))} <a href="#" id="supervision-login">${esc(t("auth.login"))}</a>`;
  note.querySelector("#supervision-login")?.addEventListener("click", (e) => { e.preventDefault(); openLogin(); });
}

async function load() {
  if (!hasRole("viewer")) {
    report = null;
    render();
    return;
  }
  const asOf = document.getElementById("supervision-date").value || today();
  const [data, ruleData, contracts] = await Promise.all([
    get("/supervision", { params: { as_of: asOf } }),
    get("/supervision/rules"),
    get("/land/contracts"),
  ]);
  report = data;
  rules = new Map(ruleData.rules.map((r) => [r.id, r]));
  rulesSource = ruleData.source || "";
  illustrative = new Set(contracts.contracts.filter((c) => c.illustrative).map((c) => key(c.enterprise, c.parcel_ids)));
  render();
}

async function main() {
  await initI18n();
  document.getElementById("lang-btn").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh").catch((err) => toastError(err)); });
  await initAuth();
  const date = document.getElementById("supervision-date");
  date.value = new URLSearchParams(window.location.search).get("as_of") || today();
  document.getElementById("supervision-form").addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch((err) => toastError(err));
  });
  document.getElementById("supervision-notices-pdf").addEventListener("click", (e) => {
    downloadPdf(e.currentTarget, "/reports/notices.pdf", { as_of: report.as_of }, `notices-${report.as_of}.pdf`);
  });
  onUserChange(() => load().catch((err) => toastError(err)));
  onLangChange(() => render());
  // managers import contracts and progress here (checked first, then all or nothing)
  const contracts = tableImport(document.getElementById("contracts-import"), "contracts", {
    onImported: () => load().catch((err) => toastError(err)),
  });
  await load();
  window.parksiteSupervision = { report: () => report, reload: load, contracts };
  document.body.dataset.ready = "1";
}

main().catch((err) => toastError(err));
