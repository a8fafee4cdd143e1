// A manager's upload of a table (XLSX or CSV): the yearly 亩均效益 figures (POST /figures?year=)
// on the dashboard, the land contracts and progress (POST /land/contracts/import) on the
// supervision page. The file is checked first (dry_run=true: every row, nothing written); its
// problems are listed by row and column; "import" is offered only for a file that passed, and
// imports it all or nothing.

import { ApiError, request } from "./api.js";
import { hasRole, onUserChange } from "./auth.js";
import { onLangChange, t } from "./i18n.js";
import { esc, num, toast } from "./ui.js";

/** What each kind of table is sent to, and the texts that name it. */
const KINDS = {
  figures: { path: "/figures", title: "tableimport.figures_title", help: "tableimport.figures_help", year: true },
  contracts: { path: "/land/contracts/import", title: "tableimport.contracts_title", help: "tableimport.contracts_help", year: false },
};

/**
 * Write the upload form of `kind` ("figures" or "contracts") into `root` (shown to managers
 * only); `onImported(answer)` is called after an import. Returns {state()} for tests.
 */
export function tableImport(root, kind, { onImported = () => {}, defaultYear = () => new Date().getFullYear() - 1 } = {}) {
  const spec = KINDS[kind];
  const state = { checked: null, answer: null, problems: [], error: null, busy: false, year: null };
  let fileInput = null;

  function summary() {
    const a = state.answer;
    if (!a) return "";
    if (kind === "figures") {
      return t(a.dry_run ? "tableimport.figures_ok" : "tableimport.figures_done",
        { year: a.year, n: a.enterprises, added: a.added, updated: a.updated });
    }
    return t(a.dry_run ? "tableimport.contracts_ok" : "tableimport.contracts_done",
      { created: a.created, updated: a.updated, unchanged: a.unchanged });
  }

  /** Write the form (again after a change of user or language); the chosen file is kept. */
  function render() {
    const ok = hasRole("manager");
    root.classList.toggle("d-none", !ok);
    if (!ok) { root.innerHTML = ""; fileInput = null; return; }
    const year = state.year ?? defaultYear();
    const old = fileInput;
    root.innerHTML = `<form class="card card-body py-2 small" novalidate>
      <div class="fw-bold">${esc(t(spec.title))}</div>
      <div class="text-muted mb-1">${esc(t(spec.help))}</div>
      <div class="d-flex flex-wrap align-items-end gap-2">
        ${spec.year ? `<div><label class="form-label mb-0" for="${kind}-import-year">${esc(t("tableimport.year"))}</label>
          <input class="form-control form-control-sm" type="number" min="1900" max="2200" step="1" id="${kind}-import-year" value="${esc(year)}" style="width:6.5em"></div>` : ""}
        <div><div class="form-label mb-0">${esc(t("tableimport.file"))}</div>
          <input class="visually-hidden" type="file" accept=".xlsx,.csv" id="${kind}-import-file">
          <div class="input-group input-group-sm"><label class="btn btn-outline-secondary" for="${kind}-import-file">
            <i class="fa-solid fa-folder-open"></i> ${esc(t("tableimport.choose"))}</label>
            <span class="form-control text-truncate" id="${kind}-import-name" style="max-width:16em"></span></div></div>
        <button class="btn btn-sm btn-primary" type="submit" id="${kind}-import-check">
          <i class="fa-solid fa-list-check"></i> ${esc(t("tableimport.check"))}</button>
        <button class="btn btn-sm btn-success" type="button" id="${kind}-import-run">
          <i class="fa-solid fa-database"></i> ${esc(t("tableimport.import"))}</button>
      </div><div class="table-import-result"></div></form>`;
    fileInput = root.querySelector(`#${kind}-import-file`);
    if (old && old.files.length) fileInput.files = old.files; // keep the chosen file across a re-render
    const forget = () => { state.checked = null; state.answer = null; state.problems = []; state.error = null; update(); };
    fileInput.addEventListener("change", forget);
    const yearInput = root.querySelector(`#${kind}-import-year`);
    if (yearInput) yearInput.addEventListener("change", () => { state.year = Number(yearInput.value); forget(); });
    root.querySelector("form").addEventListener("submit", (e) => { e.preventDefault(); send(true); });
    root.querySelector(`#${kind}-import-run`).addEventListener("click", () => send(false));
    update();
  }

  /** Show the last answer (or the problems of the file) and enable the buttons that apply. */
  function update() {
    const box = root.querySelector(".table-import-result");
    if (!box) return;
    const file = fileInput && fileInput.files[0];
    const name = root.querySelector(`#${kind}-import-name`);
    name.textContent = file ? file.name : t("tableimport.no_file");
    name.classList.toggle("text-muted", !file);
    root.querySelector(`#${kind}-import-check`).disabled = state.busy;
    root.querySelector(`#${kind}-import-run`).disabled = !(state.checked && !state.busy && state.answer && state.answer.dry_run);
    const problems = state.problems.length ? `<table class="table table-sm table-bordered small mb-0 mt-2 w-auto table-import-problems">
      <thead><tr><th class="text-end">${esc(t("tableimport.row"))}</th><th>${esc(t("tableimport.column"))}</th>
      <th>${esc(t("tableimport.problem"))}</th></tr></thead><tbody>${state.problems.map((p) => `<tr data-row="${esc(p.row)}" data-column="${esc(p.column)}">
      <td class="text-end">${esc(p.row)}</td><td>${esc(p.column)}</td><td>${esc(p.text || (p.problem && p.problem.id) || "")}</td></tr>`).join("")}</tbody></table>` : "";
    const status = state.error
      ? `<div class="text-danger small mt-2 table-import-status" data-ok="0">${esc(state.error)}</div>`
      : state.answer ? `<div class="text-success small mt-2 table-import-status" data-ok="1" data-dry-run="${state.answer.dry_run ? 1 : 0}">${esc(summary())}</div>` : "";
    box.innerHTML = status + problems;
  }

  async function send(dryRun) {
    const file = fileInput && fileInput.files[0];
    if (!file) { toast(t("tableimport.pick_file"), "warn"); return; }
    const year = spec.year ? Number(root.querySelector(`#${kind}-import-year`).value) : null;
    if (spec.year && !(year >= 1900 && year <= 2200)) { toast(t("tableimport.bad_year"), "warn"); return; }
    if (!dryRun && state.checked !== file) return; // import only the file that passed its check
    state.year = year;
    state.busy = true;
    state.problems = [];
    state.error = null;
    state.answer = null;
    update();
    const form = new FormData();
    form.append("file", file);
    const params = { dry_run: dryRun ? "true" : "false" };
    if (spec.year) params.year = year;
    try {
      const { data } = await request("POST", spec.path, { form, params });
      state.answer = data;
      state.checked = dryRun ? file : null;
      if (!dryRun) { toast(summary(), "ok"); onImported(data); }
    } catch (err) {
      state.checked = null;
      state.error = err.message;
      state.problems = err instanceof ApiError && err.body && Array.isArray(err.body.problems) ? err.body.problems : [];
      if (state.problems.length) state.error = t("tableimport.refused", { n: num(state.problems.length, 0) });
    } finally {
      state.busy = false;
      update();
    }
  }

  render();
  onUserChange(render);
  onLangChange(render);
  return { state: () => state };
}
