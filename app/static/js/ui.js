// Small helpers shared by the pages: escaping, number formats, toasts, status badges.

import { has, onLangChange, t } from "./i18n.js";

// A toast says what just happened, in the language of that moment: a switch takes them away.
onLangChange(() => {
  document.querySelectorAll("#toasts .toast").forEach((el) => {
    const tt = window.bootstrap && window.bootstrap.Toast.getInstance(el);
    if (tt) tt.dispose();
    el.remove();
  });
});

/** Return `s` with HTML special characters escaped. */
export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

/** Return a number with at most `nd` decimals and thousands separators ("—" for none). */
export function num(x, nd = 2) {
  if (x === null || x === undefined || x === "" || Number.isNaN(Number(x))) return "—";
  return Number(x).toLocaleString("en-US", { maximumFractionDigits: nd });
}

/** Return an area for people: "25,024 m² · 37.54 亩" (m² whole, 亩 to 0.01; "—" for none). */
export function areaText(m2, mu) {
  if ((m2 === null || m2 === undefined) && (mu === null || mu === undefined)) return "—";
  const parts = [];
  if (m2 !== null && m2 !== undefined) parts.push(`${num(m2, 0)} m²`);
  if (mu !== null && mu !== undefined) parts.push(`${num(mu, 2)} ${t("unit.mu")}`);
  return parts.join(" · ");
}

/** The catalogue ids of the Chinese units the API and the zone file write (万元/亩 …). */
const UNIT_KEYS = {
  亩: "unit.mu", 万元: "unit.wan", "万元/亩": "unit.wan_per_mu", "万元/年": "unit.wan_per_year",
  "m³/亩": "unit.m3_per_mu", 分: "unit.points",
};

/** Return a unit in the interface's language ("万元/亩" → "10k yuan/mu"); others as they are. */
export function unitText(unit) {
  if (!unit) return "";
  const key = UNIT_KEYS[unit];
  return key ? t(key) : String(unit);
}

/** Return a rule's source as people read it: the plan's words (表9-6) as the API gives them;
 * the code names older answers give (parcels.status …) as the catalogue names them. */
export function sourceText(source) {
  if (!source) return "";
  const s = String(source);
  if (has(`source.${s}`)) return t(`source.${s}`);
  const m = /^(substations|water)\b/.exec(s);
  return m ? t("source.capacity") : s;
}

/** Return a 0–1 share as a percentage text. */
export function pct(x, nd = 0) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "—";
  return `${(Number(x) * 100).toFixed(nd)} %`;
}

const TOAST_CLASS = { error: "text-bg-danger", ok: "text-bg-success", warn: "text-bg-warning", info: "text-bg-secondary" };

/** Show a short message at the top right; kind: error | ok | warn | info. */
export function toast(message, kind = "info", { hint = null, delay = 6000 } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = document.createElement("div");
  el.className = `toast align-items-center border-0 ${TOAST_CLASS[kind] || TOAST_CLASS.info}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  el.dataset.kind = kind;
  el.innerHTML = `<div class="d-flex"><div class="toast-body">${esc(message)}${
    hint ? `<div class="small opacity-75">${esc(hint)}</div>` : ""
  }</div><button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast"></button></div>`;
  box.appendChild(el);
  const tt = new window.bootstrap.Toast(el, { delay: kind === "error" ? delay * 2 : delay });
  el.addEventListener("hidden.bs.toast", () => el.remove());
  tt.show();
}

/** Show an ApiError (or any error) as a toast. */
export function toastError(err, prefix = "") {
  const msg = err && err.message ? err.message : String(err);
  toast(prefix ? `${prefix}: ${msg}` : msg, "error", { hint: err && err.hint });
}

// 需补充资料 (needs_data: the project did not declare a figure) is blue, 需复核 (review: a person
// must judge) amber, so that the two never look alike.
const STATUS_CLASS = { pass: "success", fail: "danger", review: "warning", needs_data: "info" };

/** Return an HTML badge for a rule status (pass / needs_data / review / fail). */
export function statusBadge(status) {
  const c = STATUS_CLASS[status] || "secondary";
  return `<span class="badge text-bg-${c} status-${esc(status)}">${esc(t(`status.${status}`))}</span>`;
}

/** Trigger the browser's download of a Blob under `filename`. */
export function saveBlob(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

/** Return a timestamp (ISO text) as local "YYYY-MM-DD HH:mm". */
export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p2 = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

/**
 * Focus a dialog's first field once Bootstrap has shown it, never taking the focus from a field
 * the user already moved to while the dialog faded in. Bootstrap's focus trap focuses the dialog
 * itself when the fade ends, so a timer-based focus would move the caret under a fast typist
 * (their text then lands in the wrong field); the field they chose gets the focus back instead.
 * `firstField()` returns the element to focus when the user has not chosen one.
 */
export function autofocusDialog(modalEl, firstField) {
  let chosen = null;
  modalEl.addEventListener("show.bs.modal", () => { chosen = null; });
  modalEl.addEventListener("focusin", (ev) => {
    if (ev.target !== modalEl && ev.target.matches("input, select, textarea")) chosen = ev.target;
  });
  modalEl.addEventListener("shown.bs.modal", () => {
    const el = chosen || firstField();
    if (el && !el.disabled) el.focus();
  });
}
