// The batch page: upload a parcel file as a scoring job, follow its progress (polling the API),
// and download the result per format. Jobs are listed from the API, so a reload finds them again;
// jobs the server lost while running are shown as interrupted.

import { download, get, request } from "./api.js";
import { hasRole, initAuth, onUserChange, openLogin } from "./auth.js";
import { initI18n, lang, onLangChange, pick, setLang, t } from "./i18n.js";
import { esc, fmtTime, num, saveBlob, toast, toastError } from "./ui.js";
import { showJobMap } from "./job_map.js";
import { loadZone, zone } from "./zone.js";

const FORMATS = ["gpkg", "geojson", "csv", "html"];
const ACTIVE = new Set(["queued", "running"]);
const STATUS_CLASS = { queued: "secondary", running: "primary", done: "success", failed: "danger", interrupted: "warning" };
const POLL_MS = 1000;

let jobs = [];

/** The job's current step in the page's language: `message` as the API wrote it for the
 * Accept-Language asked for (message_zh / message_en where an older API gives both). */
function jobMessage(j) {
  return (lang() === "zh" ? j.message_zh : j.message_en) || j.message || "";
}
let watching = null; // id of the job uploaded from this page (top progress bar)
let timer = null;

/** Return the id of a job record. */
export function jobId(j) {
  return j.job_id ?? j.id;
}

/** Return a job's progress as a percentage 0–100 (the API gives 0–1). */
export function progressPct(j) {
  const p = Number(j.progress ?? 0);
  return Math.max(0, Math.min(100, p <= 1 ? p * 100 : p));
}

/** Return the name of suitability class `name` (as the job counts it: 优, 良 … 排除) in the page's
 * language, from the zone's classes (or the summary's class_names_en). */
function className(name, counts) {
  const c = zone.classes.find((x) => x.name === name);
  if (c) return pick(c);
  if (name === "排除") return t("class.excluded");
  return (lang() === "en" && counts.class_names_en && counts.class_names_en[name]) || name;
}

/** Return the result summary of a job (ScoreSummary): parcels, eligible, excluded, per class. */
function countsHtml(c) {
  if (!c || typeof c !== "object") return "";
  const parts = [];
  if (c.n_parcels != null) parts.push(`${t("jobs.count.parcels")} ${num(c.n_parcels, 0)}`);
  if (c.n_eligible != null) parts.push(`${t("jobs.count.eligible")} ${num(c.n_eligible, 0)}`);
  if (c.n_excluded != null) parts.push(`${t("jobs.count.excluded")} ${num(c.n_excluded, 0)}`);
  let html = esc(parts.join(" · "));
  if (c.by_class && typeof c.by_class === "object") {
    const classes = Object.entries(c.by_class).map(([k, v]) => `${className(k, c)} ${num(v, 0)}`).join(" · ");
    html += `<div class="text-muted">${esc(classes)}</div>`;
  }
  if (Array.isArray(c.notes) && c.notes.length) {
    html += `<details><summary>${esc(t("jobs.notes", { n: c.notes.length }))}</summary><ul class="mb-0">${
      c.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></details>`;
  }
  return html;
}

function rowHtml(j) {
  const id = jobId(j);
  const pct = progressPct(j);
  const status = j.status || "queued";
  const name = j.filename || j.input_name || (j.params && (j.params.filename || j.params.file)) || id;
  // Progress messages come in English and Chinese; show them while running, errors when it failed.
  const msg = status === "interrupted" ? t("jobs.interrupted_msg")
    : status === "failed" ? j.error || jobMessage(j)
    : ACTIVE.has(status) ? jobMessage(j) : "";
  const links = status === "done"
    ? FORMATS.map((f) => `<button class="btn btn-sm btn-outline-success me-1 download-btn" data-id="${esc(id)}" data-format="${f}">
        <i class="fa-solid fa-download"></i> ${f === "html" ? esc(t("jobs.format_html")) : f.toUpperCase()}</button>`).join("")
      + `<button class="btn btn-sm btn-outline-primary map-btn" data-id="${esc(id)}" data-name="${esc(name)}">
        <i class="fa-solid fa-map"></i> ${esc(t("jobs.show_map"))}</button>`
    : "";
  return `<tr data-job="${esc(id)}" data-status="${esc(status)}">
    <td class="small">${esc(name)}<div class="text-muted">${esc(id)}</div></td>
    <td class="small text-nowrap">${esc(fmtTime(j.created_at))}</td>
    <td><span class="badge text-bg-${STATUS_CLASS[status] || "secondary"} job-status">${esc(t(`jobs.status.${status}`))}</span>
      ${msg ? `<div class="small ${status === "done" ? "text-muted" : "text-danger"} job-message">${esc(msg)}</div>` : ""}</td>
    <td><div class="progress" role="progressbar" aria-valuenow="${pct.toFixed(0)}" aria-valuemin="0" aria-valuemax="100">
      <div class="progress-bar ${ACTIVE.has(status) ? "progress-bar-striped progress-bar-animated" : ""} ${status === "interrupted" ? "bg-warning" : status === "failed" ? "bg-danger" : status === "done" ? "bg-success" : ""}"
        style="width:${pct.toFixed(1)}%">${pct.toFixed(0)} %</div></div></td>
    <td class="small job-counts">${countsHtml(j.counts)}</td>
    <td class="text-nowrap">${links}</td></tr>`;
}

function render() {
  const body = document.getElementById("jobs-body");
  if (!hasRole("viewer")) {
    body.innerHTML = `<tr><td colspan="6" class="text-muted">${esc(t("jobs.login_to_list"))}</td></tr>`;
    return;
  }
  if (!jobs.length) {
    body.innerHTML = `<tr><td colspan="6" class="text-muted" id="jobs-empty">${esc(t("jobs.none"))}</td></tr>`;
    return;
  }
  body.innerHTML = jobs.map(rowHtml).join("");
  body.querySelectorAll(".download-btn").forEach((b) => b.addEventListener("click", () => fetchResult(b.dataset.id, b.dataset.format)));
  body.querySelectorAll(".map-btn").forEach((b) => b.addEventListener("click", () => {
    showJobMap(b.dataset.id, b.dataset.name).catch((err) => toastError(err, t("jobs.map_failed")));
  }));
  renderWatched();
}

function renderWatched() {
  const j = jobs.find((x) => jobId(x) === watching);
  const box = document.getElementById("upload-progress-box");
  if (!j) return;
  box.classList.remove("d-none");
  const pct = progressPct(j);
  const bar = document.getElementById("upload-progress");
  bar.style.width = `${pct.toFixed(1)}%`;
  bar.textContent = `${pct.toFixed(0)} %`;
  bar.classList.toggle("progress-bar-animated", ACTIVE.has(j.status));
  bar.classList.toggle("progress-bar-striped", ACTIVE.has(j.status));
  bar.classList.toggle("bg-success", j.status === "done");
  bar.classList.toggle("bg-danger", j.status === "failed");
  bar.classList.toggle("bg-warning", j.status === "interrupted");
  const msg = ACTIVE.has(j.status) ? jobMessage(j) : j.status === "done" ? "" : j.error || jobMessage(j);
  document.getElementById("upload-status").textContent = `${t(`jobs.status.${j.status}`)}${msg ? ` — ${msg}` : ""}`;
  box.dataset.status = j.status;
}

async function fetchResult(id, format) {
  try {
    const { blob, filename } = await download(`/jobs/${encodeURIComponent(id)}/result`, { format });
    saveBlob(blob, filename || `parksite-${id}.${format}`);
  } catch (err) {
    toastError(err, t("jobs.download_failed"));
  }
}

async function loadJobs() {
  if (!hasRole("viewer")) { jobs = []; render(); return; }
  try {
    if (!zone.raw) await loadZone(); // the names of the suitability classes
    const data = await get("/jobs");
    jobs = Array.isArray(data) ? data : data.jobs || data.items || [];
    jobs.sort((a, b) => String(b.created_at || "").localeCompare(String(a.created_at || "")));
  } catch (err) {
    toastError(err, t("jobs.list_failed"));
  }
  render();
  schedule();
}

async function poll() {
  timer = null;
  const active = jobs.filter((j) => ACTIVE.has(j.status));
  await Promise.all(active.map(async (j) => {
    try {
      const fresh = await get(`/jobs/${encodeURIComponent(jobId(j))}`);
      const i = jobs.findIndex((x) => jobId(x) === jobId(j));
      const before = jobs[i].status;
      jobs[i] = { ...jobs[i], ...fresh };
      if (jobId(j) === watching && before !== fresh.status && fresh.status === "done") toast(t("jobs.done_toast"), "ok");
      if (jobId(j) === watching && before !== fresh.status && fresh.status === "failed") toast(fresh.error || t("jobs.status.failed"), "error");
    } catch (err) {
      if (err.status === 404) jobs = jobs.filter((x) => jobId(x) !== jobId(j));
    }
  }));
  render();
  schedule();
}

function schedule() {
  if (!timer && jobs.some((j) => ACTIVE.has(j.status))) timer = setTimeout(poll, POLL_MS);
}

async function upload(ev) {
  ev.preventDefault();
  const input = document.getElementById("job-file");
  if (!input.files.length) { toast(t("jobs.pick_file"), "warn"); return; }
  const form = new FormData();
  form.append("file", input.files[0]);
  const btn = document.getElementById("upload-btn");
  btn.disabled = true;
  try {
    const { data } = await request("POST", "/jobs", { form });
    const id = data.job_id ?? data.id;
    watching = id;
    jobs = [{ job_id: id, status: "queued", progress: 0, filename: input.files[0].name, created_at: new Date().toISOString(), ...data }, ...jobs.filter((j) => jobId(j) !== id)];
    render();
    schedule();
    input.value = "";
    showChosenFile();
  } catch (err) {
    toastError(err, t("jobs.upload_failed"));
  } finally {
    btn.disabled = !hasRole("analyst");
  }
}

function updateAccess() {
  const ok = hasRole("analyst");
  document.getElementById("upload-btn").disabled = !ok;
  const note = document.getElementById("jobs-access");
  note.innerHTML = ok ? "" : `${esc(t("jobs.need_manager"))} <a href="#" id="jobs-login">${esc(t("auth.login"))}</a>`;
  note.querySelector("#jobs-login")?.addEventListener("click", (e) => { e.preventDefault(); openLogin(); });
}

/** Show the chosen file's name beside the file button (or "no file chosen", in the page's language). */
function showChosenFile() {
  const input = document.getElementById("job-file");
  const el = document.getElementById("job-file-name");
  const file = input.files.length ? input.files[0] : null;
  if (file) {
    delete el.dataset.i18n;
    el.textContent = file.name;
  } else {
    el.dataset.i18n = "jobs.no_file";
    el.textContent = t("jobs.no_file");
  }
  el.classList.toggle("text-muted", !file);
}

async function main() {
  await initI18n();
  document.getElementById("lang-btn").addEventListener("click", () => { setLang(lang() === "zh" ? "en" : "zh").catch((err) => toastError(err)); });
  await initAuth();
  document.getElementById("upload-form").addEventListener("submit", upload);
  document.getElementById("job-file").addEventListener("change", showChosenFile);
  document.getElementById("jobs-refresh").addEventListener("click", loadJobs);
  onUserChange(() => { updateAccess(); loadJobs(); });
  // the jobs' messages, errors and notes are written by the API in the language asked for
  onLangChange(() => { render(); updateAccess(); loadJobs(); });
  updateAccess();
  await loadJobs();
  window.parksiteJobs = { jobs: () => jobs, reload: loadJobs };
  document.body.dataset.ready = "1";
}

main().catch((err) => toastError(err));
