// The industries a cluster admits (表8-1 positive list: 产业大类, optionally some 二级产业方向), a
// checklist in the cluster dialog and in the split / merge dialog. `admits` is sent only when the
// planner changed it, so an outline edit never touches it; "not set yet" (null) differs from
// "admits nothing" ([]).

import { pick, t } from "../i18n.js";
import { esc } from "../ui.js";
import { zone } from "../zone.js";

/** One admits checklist in element `box` (its input ids start with `prefix`). */
export class AdmitsChecklist {
  constructor(box, prefix) {
    this.box = box;
    this.prefix = prefix;
    this.touched = false; // the planner changed it (then it is sent)
    this.unset = false; // "not set yet" chosen
    box.addEventListener("change", (ev) => this.onChange(ev));
    box.addEventListener("click", (ev) => {
      if (ev.target.closest(".admits-unset")) {
        ev.preventDefault();
        this.render(null, { set: false });
        this.touched = true;
        this.unset = true;
        this.showState();
      }
    });
  }

  /** Fill the checklist from the positive list, ticking `admits` ([{industry, branches}]). */
  render(admits, { set }) {
    const p = this.prefix;
    this.touched = false;
    this.unset = !set;
    // one row per industry: the zone file may give an industry in several entries (each with its
    // basis, 表8-1 or 本系统判断) — their branches are merged; entries that admit the catch-all by
    // 表8-1's words (3D打印 …) are not in the checklist and are kept as they are
    const byName = new Map();
    for (const a of admits || []) {
      const had = byName.get(a.industry);
      const branches = had && (had.branches === null || !a.branches) ? null
        : [...(had ? had.branches : []), ...(a.branches || [])];
      byName.set(a.industry, { industry: a.industry, branches: a.branches || had ? branches : null });
    }
    const known = new Set(zone.industries.map((i) => i.name));
    this.keptAdmits = (admits || []).filter((a) => !known.has(a.industry));
    const rows = zone.industries.map((ind, i) => {
      const a = byName.get(ind.name);
      const chosen = new Set(a && a.branches ? a.branches : []);
      const branches = (ind.branches || []).map((b, j) => `<div class="form-check">
          <input class="form-check-input admit-branch" type="checkbox" id="${p}-${i}-${j}" data-industry="${esc(ind.name)}" data-branch="${esc(b.name)}" ${chosen.has(b.name) ? "checked" : ""}>
          <label class="form-check-label" for="${p}-${i}-${j}">${esc(pick(b))}</label></div>`).join("");
      return `<div class="admit-row" data-industry="${esc(ind.name)}">
        <div class="d-flex align-items-center gap-1">
          <div class="form-check mb-0 flex-grow-1">
            <input class="form-check-input admit-industry" type="checkbox" id="${p}-${i}" data-industry="${esc(ind.name)}" ${a ? "checked" : ""}>
            <label class="form-check-label" for="${p}-${i}">${esc(pick(ind))}</label>
            <span class="text-muted admit-scope" data-industry="${esc(ind.name)}"></span></div>
          <button type="button" class="btn btn-link btn-sm py-0 admit-expand" data-bs-toggle="collapse" data-bs-target="#${p}-br-${i}"
            aria-expanded="false" title="${esc(t("cluster.admits_branches"))}"><i class="fa-solid fa-chevron-down"></i></button>
        </div>
        <div class="collapse ms-4" id="${p}-br-${i}">${branches}</div></div>`;
    });
    this.box.innerHTML = `<div class="d-flex align-items-baseline gap-2">
        <label class="form-label mb-0 fw-semibold">${esc(t("cluster.admits"))}</label>
        <span class="badge admits-state"></span>
        <a href="#" class="ms-auto small admits-unset">${esc(t("cluster.admits_unset_action"))}</a></div>
      <div class="form-text mt-0 mb-1">${esc(t("cluster.admits_help"))}</div>
      <div class="border rounded px-2 py-1" style="max-height: 14rem; overflow-y: auto">${rows.join("")}</div>`;
    this.showState();
  }

  /** Write the checklist again in the current language, keeping what is ticked and chosen. */
  relabel() {
    const { touched, unset } = this;
    this.render(this.read(), { set: !unset });
    this.touched = touched;
    this.unset = unset;
    this.showState();
  }

  /** Keep industry and branch ticks consistent, and remember that the planner chose. */
  onChange(ev) {
    const el = ev.target;
    const ind = el.dataset.industry;
    const sel = (cls) => [...this.box.querySelectorAll(`input.${cls}`)].filter((x) => x.dataset.industry === ind);
    if (el.classList.contains("admit-branch") && el.checked) sel("admit-industry").forEach((x) => { x.checked = true; });
    if (el.classList.contains("admit-industry") && !el.checked) sel("admit-branch").forEach((x) => { x.checked = false; });
    this.touched = true;
    this.unset = false;
    this.showState();
  }

  /** Show "not set yet" / "admits nothing" / the number chosen, and each industry's scope. */
  showState() {
    const state = this.box.querySelector(".admits-state");
    const admits = this.read();
    if (admits === null) { state.className = "badge admits-state text-bg-warning"; state.textContent = t("cluster.admits_not_set"); }
    else if (!admits.length) { state.className = "badge admits-state text-bg-secondary"; state.textContent = t("cluster.admits_none"); }
    else { state.className = "badge admits-state text-bg-success"; state.textContent = t("cluster.admits_count", { n: admits.length }); }
    this.box.querySelectorAll(".admit-scope").forEach((s) => {
      const a = (admits || []).find((x) => x.industry === s.dataset.industry);
      s.textContent = !a ? "" : a.branches === null ? `· ${t("cluster.admits_all")}` : `· ${t("cluster.admits_some", { n: a.branches.length })}`;
    });
  }

  /** Return the admits: [{industry, branches (null: all)}], or null for "not set yet". */
  read() {
    if (this.unset) return null;
    return [...this.box.querySelectorAll("input.admit-industry:checked")].map((x) => {
      const branches = [...this.box.querySelectorAll("input.admit-branch:checked")]
        .filter((b) => b.dataset.industry === x.dataset.industry).map((b) => b.dataset.branch);
      return { industry: x.dataset.industry, branches: branches.length ? branches : null };
    }).concat(this.keptAdmits || []);
  }
}

/** ClusterEditor's methods for the cluster dialog's admits checklist (mixed into its prototype). */
export const admitsMethods = {
  /** Return the cluster dialog's checklist (made on first use, before the error box). */
  admits() {
    if (!this.admitsList) {
      const form = this.modalEl.querySelector("form");
      const box = document.createElement("div");
      box.id = "cluster-admits";
      box.className = "mt-2";
      form.querySelector("#cluster-modal-error").before(box);
      this.admitsList = new AdmitsChecklist(box, "adm");
    }
    return this.admitsList;
  },

  /** Fill the cluster dialog's checklist, ticking `admits`. */
  renderAdmits(admits, { set }) {
    this.admits().render(admits, { set });
  },

  /** Return the cluster dialog's admits (null: not set yet). */
  readAdmits() {
    return this.admits().read();
  },
};
